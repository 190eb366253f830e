-- Staff's review of answers a patient filled in on the clinic's tablet:
-- who went through them with the patient, when, with an optional note.
-- Written once; never changed or deleted.
CREATE TABLE questionnaire_reviews (
    response_id  UUID PRIMARY KEY NOT NULL REFERENCES questionnaire_responses (id),
    clinic_id    UUID NOT NULL REFERENCES clinics (id),
    reviewed_by  UUID NOT NULL REFERENCES users (id),
    reviewed_at  TIMESTAMPTZ NOT NULL,
    note         TEXT
);
CREATE TRIGGER questionnaire_reviews_no_change BEFORE UPDATE OR DELETE ON questionnaire_reviews
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
