-- The signed consent as a PDF: rendered once after signing, kept with its
-- SHA-256 so the copy handed to the patient can be proven to be this one.
-- Never rewritten, never deleted.
CREATE TABLE consent_pdfs (
    consent_id  UUID PRIMARY KEY NOT NULL REFERENCES consents (id),
    clinic_id   UUID NOT NULL REFERENCES clinics (id),
    sha256      TEXT NOT NULL,
    pdf         BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE TRIGGER consent_pdfs_no_change BEFORE UPDATE OR DELETE ON consent_pdfs
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER consent_pdfs_no_truncate BEFORE TRUNCATE ON consent_pdfs
    FOR EACH STATEMENT EXECUTE FUNCTION patient_records_keep();
