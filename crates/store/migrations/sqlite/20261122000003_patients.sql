-- Patients: identity and contact details (versioned: a correction is a new
-- version with its reason), the patient's consent to the handling of health
-- data (要配慮個人情報), questionnaire answers, screenings with the
-- physician's decision, consent templates (versioned) and signed consents.
-- Every table is scoped by clinic. Nothing here is ever deleted: triggers
-- refuse DELETE; a withdrawal is recorded on the consent it withdraws.

CREATE TABLE patients (
    id                   BLOB PRIMARY KEY NOT NULL,
    clinic_id            BLOB NOT NULL REFERENCES clinics (id),
    number               TEXT NOT NULL,
    current_version      INTEGER NOT NULL,
    kana_key             TEXT NOT NULL,
    birth_date           TEXT NOT NULL,
    phone                TEXT NOT NULL,
    data_consent_method  TEXT NOT NULL CHECK (data_consent_method IN ('written', 'tablet', 'verbal')),
    data_consent_at      TEXT NOT NULL,
    data_consent_by      BLOB,
    created_at           TEXT NOT NULL,
    UNIQUE (clinic_id, number)
);
CREATE INDEX patients_kana ON patients (clinic_id, kana_key);
CREATE INDEX patients_birth_date ON patients (clinic_id, birth_date);
CREATE INDEX patients_phone ON patients (clinic_id, phone);

CREATE TABLE patient_versions (
    patient_id  BLOB NOT NULL REFERENCES patients (id),
    version     INTEGER NOT NULL,
    facts       TEXT NOT NULL,
    reason      TEXT,
    author_id   BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (patient_id, version)
);

CREATE TABLE questionnaire_responses (
    id                     BLOB PRIMARY KEY NOT NULL,
    clinic_id              BLOB NOT NULL REFERENCES clinics (id),
    patient_id             BLOB NOT NULL REFERENCES patients (id),
    questionnaire_version  INTEGER NOT NULL,
    answers                TEXT NOT NULL,
    fingerprint            TEXT NOT NULL,
    source                 TEXT NOT NULL CHECK (source IN ('patient', 'staff')),
    entered_by             BLOB,
    created_at             TEXT NOT NULL
);
CREATE INDEX questionnaire_responses_patient ON questionnaire_responses (patient_id, created_at);

CREATE TABLE screenings (
    id                   BLOB PRIMARY KEY NOT NULL,
    clinic_id            BLOB NOT NULL REFERENCES clinics (id),
    patient_id           BLOB NOT NULL REFERENCES patients (id),
    response_id          BLOB NOT NULL REFERENCES questionnaire_responses (id),
    answers_fingerprint  TEXT NOT NULL,
    findings             TEXT NOT NULL,
    created_by           BLOB,
    created_at           TEXT NOT NULL,
    decision             TEXT CHECK (decision IN ('eligible', 'eligible_with_conditions', 'not_eligible')),
    decision_reason      TEXT,
    conditions           TEXT,
    valid_days           INTEGER,
    decided_by           BLOB,
    decided_at           TEXT
);
CREATE INDEX screenings_patient ON screenings (patient_id, created_at);

CREATE TABLE consent_templates (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    code             TEXT NOT NULL,
    current_version  INTEGER NOT NULL,
    product_kind     TEXT NOT NULL,
    route            TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE consent_template_versions (
    template_id  BLOB NOT NULL REFERENCES consent_templates (id),
    version      INTEGER NOT NULL,
    body         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    reason       TEXT,
    author_id    BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE consents (
    id                  BLOB PRIMARY KEY NOT NULL,
    clinic_id           BLOB NOT NULL REFERENCES clinics (id),
    patient_id          BLOB NOT NULL REFERENCES patients (id),
    template_id         BLOB NOT NULL REFERENCES consent_templates (id),
    template_version    INTEGER NOT NULL,
    template_sha256     TEXT NOT NULL,
    locale              TEXT NOT NULL CHECK (locale IN ('ja', 'en')),
    product_ids         TEXT NOT NULL,
    text                TEXT NOT NULL,
    text_sha256         TEXT NOT NULL,
    signature_kind      TEXT NOT NULL CHECK (signature_kind IN ('svg', 'png')),
    signature           BLOB NOT NULL,
    explained_by        BLOB NOT NULL REFERENCES users (id),
    witness_name        TEXT,
    explained_at        TEXT NOT NULL,
    first_explained_at  TEXT NOT NULL,
    signed_at           TEXT NOT NULL,
    recorded_by         BLOB,
    same_day_reason     TEXT,
    same_day_reason_by  BLOB,
    same_day_reason_at  TEXT,
    withdrawn_at        TEXT,
    withdrawn_reason    TEXT,
    withdrawn_by        BLOB,
    FOREIGN KEY (template_id, template_version) REFERENCES consent_template_versions (template_id, version)
);
CREATE INDEX consents_patient ON consents (patient_id, signed_at);

CREATE TRIGGER patients_no_delete BEFORE DELETE ON patients
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER patient_versions_no_delete BEFORE DELETE ON patient_versions
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER patient_versions_no_update BEFORE UPDATE ON patient_versions
BEGIN
    SELECT RAISE(ABORT, 'patient versions never change');
END;
CREATE TRIGGER questionnaire_responses_no_delete BEFORE DELETE ON questionnaire_responses
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
CREATE TRIGGER consent_template_versions_no_delete BEFORE DELETE ON consent_template_versions
BEGIN
    SELECT RAISE(ABORT, 'patient records are never deleted');
END;
