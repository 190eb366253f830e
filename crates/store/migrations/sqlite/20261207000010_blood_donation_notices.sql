-- The clinic's blood-donation notice (regulatory.md §8), the text given at
-- the chair with a patient's first human-derived product, in Japanese and
-- English. Each change is a new version, numbered 1, 2, … per clinic (max +
-- 1 under the write lock, UNIQUE (clinic_id, version) as the backstop); the
-- current text is the highest version; a clinic without a row gives
-- jousei's default text (version 0, not stored). Append-only.
--
-- administrations.blood_donation_notice_version: the version given with
-- the dose (0: jousei's default; NULL: no notice was given). Set once.
--
-- Indexes:
-- - blood_donation_notices (clinic_id, version) unique: the current text.

CREATE TABLE blood_donation_notices (
    clinic_id  BLOB NOT NULL REFERENCES clinics (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    text_ja    TEXT NOT NULL,
    text_en    TEXT NOT NULL,
    author_id  BLOB,
    at         TEXT NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE TRIGGER blood_donation_notices_no_change BEFORE UPDATE ON blood_donation_notices
BEGIN
    SELECT RAISE(ABORT, 'blood-donation notices are never rewritten');
END;
CREATE TRIGGER blood_donation_notices_no_delete BEFORE DELETE ON blood_donation_notices
BEGIN
    SELECT RAISE(ABORT, 'blood-donation notices are never deleted');
END;

ALTER TABLE administrations ADD COLUMN blood_donation_notice_version INTEGER
    CHECK (blood_donation_notice_version >= 0);

CREATE TRIGGER administrations_notice_version_kept BEFORE UPDATE OF blood_donation_notice_version ON administrations
WHEN OLD.blood_donation_notice_version IS NOT NEW.blood_donation_notice_version
BEGIN
    SELECT RAISE(ABORT, 'the notice given with a dose is never changed');
END;
