-- Staff's review of answers a patient filled in on the clinic's tablet:
-- who went through them with the patient, when, with an optional note.
-- Written once; never changed or deleted.
CREATE TABLE questionnaire_reviews (
    response_id  BLOB PRIMARY KEY NOT NULL REFERENCES questionnaire_responses (id),
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    reviewed_by  BLOB NOT NULL REFERENCES users (id),
    reviewed_at  TEXT NOT NULL,
    note         TEXT
);
CREATE TRIGGER questionnaire_reviews_no_delete BEFORE DELETE ON questionnaire_reviews
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER questionnaire_reviews_no_update BEFORE UPDATE ON questionnaire_reviews
BEGIN
    SELECT RAISE(ABORT, 'a review is written once');
END;
