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
    clinic_id  uuid NOT NULL REFERENCES clinics (id),
    version    bigint NOT NULL CHECK (version >= 1),
    profile    text NOT NULL,
    author_id  uuid,
    at         timestamptz NOT NULL,
    UNIQUE (clinic_id, version)
);

-- commerce_records_keep() is from 20261201000006_commerce.
CREATE TRIGGER clinic_profiles_no_change BEFORE UPDATE OR DELETE ON clinic_profiles
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER clinic_profiles_no_truncate BEFORE TRUNCATE ON clinic_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
