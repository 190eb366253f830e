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
    clinic_id  uuid NOT NULL REFERENCES clinics (id),
    version    bigint NOT NULL CHECK (version >= 1),
    text_ja    text NOT NULL,
    text_en    text NOT NULL,
    author_id  uuid,
    at         timestamptz NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE FUNCTION blood_donation_notices_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'blood-donation notices are never rewritten or deleted';
END;
$$;

CREATE TRIGGER blood_donation_notices_no_change BEFORE UPDATE OR DELETE ON blood_donation_notices
    FOR EACH ROW EXECUTE FUNCTION blood_donation_notices_keep();
CREATE TRIGGER blood_donation_notices_no_truncate BEFORE TRUNCATE ON blood_donation_notices
    FOR EACH STATEMENT EXECUTE FUNCTION blood_donation_notices_keep();

ALTER TABLE administrations ADD COLUMN blood_donation_notice_version bigint
    CHECK (blood_donation_notice_version >= 0);

CREATE FUNCTION administrations_notice_version_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.blood_donation_notice_version IS DISTINCT FROM OLD.blood_donation_notice_version THEN
        RAISE EXCEPTION 'the notice given with a dose is never changed';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER administrations_notice_version_kept BEFORE UPDATE ON administrations
    FOR EACH ROW EXECUTE FUNCTION administrations_notice_version_kept();
