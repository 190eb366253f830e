-- The clinic's business profile (ClinicProfile as JSON text): what the
-- contract documents and receipts print about the operator (name, address,
-- phone, representative, qualified-invoice registration number, advance
-- payment protection). Each change is a new version, numbered 1, 2, … per
-- clinic (max + 1 under the write lock, UNIQUE (clinic_id, version) as the
-- backstop); the current profile is the highest version. Append-only.
--
-- Indexes:
-- - clinic_profiles (clinic_id, version) unique: the current profile.

CREATE TABLE clinic_profiles (
    clinic_id  BLOB NOT NULL REFERENCES clinics (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    profile    TEXT NOT NULL,
    author_id  BLOB,
    at         TEXT NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE TRIGGER clinic_profiles_no_change BEFORE UPDATE ON clinic_profiles
BEGIN
    SELECT RAISE(ABORT, 'clinic profiles are never rewritten');
END;
CREATE TRIGGER clinic_profiles_no_delete BEFORE DELETE ON clinic_profiles
BEGIN
    SELECT RAISE(ABORT, 'clinic profiles are never deleted');
END;
