-- Treatment plans and appointments: the clinic's catalogue of indications
-- and protocol templates (versioned), the clinic calendar (every version
-- kept; the newest applies), patients' plans (versioned; a physician
-- approves a version, sealing the SHA-256 of its facts), appointments with
-- their status history (an undo is a new event, nothing is erased).
-- Every table is scoped by clinic. Triggers refuse DELETE everywhere and
-- UPDATE of versions, approvals and events.

CREATE TABLE indications (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    code             text NOT NULL,
    current_version  bigint NOT NULL,
    created_at       timestamptz NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE indication_versions (
    indication_id  uuid NOT NULL REFERENCES indications (id),
    version        bigint NOT NULL,
    facts          text NOT NULL,
    reason         text,
    author_id      uuid,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (indication_id, version)
);

CREATE TABLE protocols (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    current_version  bigint NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX protocols_clinic ON protocols (clinic_id);

CREATE TABLE protocol_versions (
    protocol_id  uuid NOT NULL REFERENCES protocols (id),
    version      bigint NOT NULL,
    protocol     text NOT NULL,
    reason       text,
    author_id    uuid,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (protocol_id, version)
);

CREATE TABLE clinic_calendars (
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    version     bigint NOT NULL,
    calendar    text NOT NULL,
    author_id   uuid,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (clinic_id, version)
);

CREATE TABLE plans (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    patient_id       uuid NOT NULL REFERENCES patients (id),
    current_version  bigint NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX plans_patient ON plans (patient_id, created_at);

CREATE TABLE plan_versions (
    plan_id     uuid NOT NULL REFERENCES plans (id),
    version     bigint NOT NULL,
    facts       text NOT NULL,
    sha256      text NOT NULL,
    reason      text,
    author_id   uuid,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE plan_approvals (
    plan_id      uuid NOT NULL,
    version      bigint NOT NULL,
    sha256       text NOT NULL,
    approved_by  uuid NOT NULL REFERENCES users (id),
    approved_at  timestamptz NOT NULL,
    PRIMARY KEY (plan_id, version),
    FOREIGN KEY (plan_id, version) REFERENCES plan_versions (plan_id, version)
);

CREATE TABLE appointments (
    id              uuid PRIMARY KEY,
    clinic_id       uuid NOT NULL REFERENCES clinics (id),
    patient_id      uuid NOT NULL REFERENCES patients (id),
    plan_id         uuid REFERENCES plans (id),
    session_ordinal bigint,
    proposed_date   date,
    -- Booked by the course (its date follows the course when it is
    -- rescheduled) rather than on a date a person chose.
    follows_course  boolean NOT NULL DEFAULT false,
    room            text,
    staff_id        uuid REFERENCES users (id),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    status          text NOT NULL CHECK (status IN ('booked', 'checked_in', 'done', 'no_show', 'cancelled')),
    note            text,
    created_by      uuid,
    created_at      timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_clinic_start ON appointments (clinic_id, starts_at);
CREATE INDEX appointments_patient_start ON appointments (patient_id, starts_at);
CREATE INDEX appointments_plan ON appointments (plan_id, session_ordinal);

-- Every change of an appointment: booked, a status, an undo (which names
-- the event it undoes), a move to another time.
CREATE TABLE appointment_events (
    appointment_id  uuid NOT NULL REFERENCES appointments (id),
    seq             bigint NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('booked', 'status', 'undo', 'moved')),
    from_status     text,
    to_status       text NOT NULL,
    undoes_seq      bigint,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    reason          text,
    actor_id        uuid,
    actor_label     text NOT NULL,
    at              timestamptz NOT NULL,
    PRIMARY KEY (appointment_id, seq)
);

CREATE FUNCTION plan_records_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'plan records are never deleted or rewritten (%)', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER indications_no_delete BEFORE DELETE ON indications
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER protocols_no_delete BEFORE DELETE ON protocols
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plans_no_delete BEFORE DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER appointments_no_delete BEFORE DELETE ON appointments
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER indication_versions_no_change BEFORE UPDATE OR DELETE ON indication_versions
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER protocol_versions_no_change BEFORE UPDATE OR DELETE ON protocol_versions
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER clinic_calendars_no_change BEFORE UPDATE OR DELETE ON clinic_calendars
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plan_versions_no_change BEFORE UPDATE OR DELETE ON plan_versions
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plan_approvals_no_change BEFORE UPDATE OR DELETE ON plan_approvals
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER appointment_events_no_change BEFORE UPDATE OR DELETE ON appointment_events
    FOR EACH ROW EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER indications_no_truncate BEFORE TRUNCATE ON indications
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER indication_versions_no_truncate BEFORE TRUNCATE ON indication_versions
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER protocols_no_truncate BEFORE TRUNCATE ON protocols
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER protocol_versions_no_truncate BEFORE TRUNCATE ON protocol_versions
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER clinic_calendars_no_truncate BEFORE TRUNCATE ON clinic_calendars
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plans_no_truncate BEFORE TRUNCATE ON plans
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plan_versions_no_truncate BEFORE TRUNCATE ON plan_versions
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER plan_approvals_no_truncate BEFORE TRUNCATE ON plan_approvals
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER appointments_no_truncate BEFORE TRUNCATE ON appointments
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
CREATE TRIGGER appointment_events_no_truncate BEFORE TRUNCATE ON appointment_events
    FOR EACH STATEMENT EXECUTE FUNCTION plan_records_keep();
