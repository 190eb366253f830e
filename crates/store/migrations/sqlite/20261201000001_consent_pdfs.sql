-- The signed consent as a PDF: rendered once after signing, kept with its
-- SHA-256 so the copy handed to the patient can be proven to be this one.
-- Never rewritten, never deleted.
CREATE TABLE consent_pdfs (
    consent_id  BLOB PRIMARY KEY NOT NULL REFERENCES consents (id),
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    sha256      TEXT NOT NULL,
    pdf         BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TRIGGER consent_pdfs_no_delete BEFORE DELETE ON consent_pdfs
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER consent_pdfs_no_update BEFORE UPDATE ON consent_pdfs
BEGIN
    SELECT RAISE(ABORT, 'a stored consent PDF never changes');
END;
