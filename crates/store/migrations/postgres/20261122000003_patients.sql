-- Patients: identity and contact details (versioned: a correction is a new
-- version with its reason), the patient's consent to the handling of health
-- data (要配慮個人情報), questionnaire answers, screenings with the
-- physician's decision, consent templates (versioned) and signed consents.
-- Every table is scoped by clinic. Nothing here is ever deleted: triggers
-- refuse DELETE; a withdrawal is recorded on the consent it withdraws.

CREATE TABLE patients (
    id                   uuid PRIMARY KEY,
    clinic_id            uuid NOT NULL REFERENCES clinics (id),
    number               text NOT NULL,
    current_version      bigint NOT NULL,
    kana_key             text NOT NULL,
    birth_date           date NOT NULL,
    phone                text NOT NULL,
    data_consent_method  text NOT NULL CHECK (data_consent_method IN ('written', 'tablet', 'verbal')),
    data_consent_at      timestamptz NOT NULL,
    data_consent_by      uuid,
    created_at           timestamptz NOT NULL,
    UNIQUE (clinic_id, number)
);
CREATE INDEX patients_kana ON patients (clinic_id, kana_key);
CREATE INDEX patients_birth_date ON patients (clinic_id, birth_date);
CREATE INDEX patients_phone ON patients (clinic_id, phone);

CREATE TABLE patient_versions (
    patient_id  uuid NOT NULL REFERENCES patients (id),
    version     bigint NOT NULL,
    facts       text NOT NULL,
    reason      text,
    author_id   uuid,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (patient_id, version)
);

CREATE TABLE questionnaire_responses (
    id                     uuid PRIMARY KEY,
    clinic_id              uuid NOT NULL REFERENCES clinics (id),
    patient_id             uuid NOT NULL REFERENCES patients (id),
    questionnaire_version  bigint NOT NULL,
    answers                text NOT NULL,
    fingerprint            text NOT NULL,
    source                 text NOT NULL CHECK (source IN ('patient', 'staff')),
    entered_by             uuid,
    created_at             timestamptz NOT NULL
);
CREATE INDEX questionnaire_responses_patient ON questionnaire_responses (patient_id, created_at);

CREATE TABLE screenings (
    id                   uuid PRIMARY KEY,
    clinic_id            uuid NOT NULL REFERENCES clinics (id),
    patient_id           uuid NOT NULL REFERENCES patients (id),
    response_id          uuid NOT NULL REFERENCES questionnaire_responses (id),
    answers_fingerprint  text NOT NULL,
    findings             text NOT NULL,
    created_by           uuid,
    created_at           timestamptz NOT NULL,
    decision             text CHECK (decision IN ('eligible', 'eligible_with_conditions', 'not_eligible')),
    decision_reason      text,
    conditions           text,
    valid_days           bigint,
    decided_by           uuid,
    decided_at           timestamptz
);
CREATE INDEX screenings_patient ON screenings (patient_id, created_at);

CREATE TABLE consent_templates (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    code             text NOT NULL,
    current_version  bigint NOT NULL,
    product_kind     text NOT NULL,
    route            text NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE consent_template_versions (
    template_id  uuid NOT NULL REFERENCES consent_templates (id),
    version      bigint NOT NULL,
    body         text NOT NULL,
    sha256       text NOT NULL,
    reason       text,
    author_id    uuid,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (template_id, version)
);

CREATE TABLE consents (
    id                  uuid PRIMARY KEY,
    clinic_id           uuid NOT NULL REFERENCES clinics (id),
    patient_id          uuid NOT NULL REFERENCES patients (id),
    template_id         uuid NOT NULL REFERENCES consent_templates (id),
    template_version    bigint NOT NULL,
    template_sha256     text NOT NULL,
    locale              text NOT NULL CHECK (locale IN ('ja', 'en')),
    product_ids         text NOT NULL,
    text                text NOT NULL,
    text_sha256         text NOT NULL,
    signature_kind      text NOT NULL CHECK (signature_kind IN ('svg', 'png')),
    signature           bytea NOT NULL,
    explained_by        uuid NOT NULL REFERENCES users (id),
    witness_name        text,
    explained_at        timestamptz NOT NULL,
    first_explained_at  timestamptz NOT NULL,
    signed_at           timestamptz NOT NULL,
    recorded_by         uuid,
    same_day_reason     text,
    same_day_reason_by  uuid,
    same_day_reason_at  timestamptz,
    withdrawn_at        timestamptz,
    withdrawn_reason    text,
    withdrawn_by        uuid,
    FOREIGN KEY (template_id, template_version) REFERENCES consent_template_versions (template_id, version)
);
CREATE INDEX consents_patient ON consents (patient_id, signed_at);

CREATE FUNCTION patient_records_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'patient records are never deleted or rewritten (%)', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER patients_no_delete BEFORE DELETE ON patients
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER patient_versions_no_change BEFORE UPDATE OR DELETE ON patient_versions
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER questionnaire_responses_no_delete BEFORE DELETE ON questionnaire_responses
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER screenings_no_delete BEFORE DELETE ON screenings
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER consent_template_versions_no_delete BEFORE DELETE ON consent_template_versions
    FOR EACH ROW EXECUTE FUNCTION patient_records_keep();
CREATE TRIGGER patient_tables_no_truncate BEFORE TRUNCATE ON patients
    FOR EACH STATEMENT EXECUTE FUNCTION patient_records_keep();
