-- Treatment plans and appointments: the clinic's catalogue of indications
-- and protocol templates (versioned), the clinic calendar (every version
-- kept; the newest applies), patients' plans (versioned; a physician
-- approves a version, sealing the SHA-256 of its facts), appointments with
-- their status history (an undo is a new event, nothing is erased).
-- Every table is scoped by clinic. Triggers refuse DELETE everywhere and
-- UPDATE of versions, approvals and events.

CREATE TABLE indications (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    code             TEXT NOT NULL,
    current_version  INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE indication_versions (
    indication_id  BLOB NOT NULL REFERENCES indications (id),
    version        INTEGER NOT NULL,
    facts          TEXT NOT NULL,
    reason         TEXT,
    author_id      BLOB,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (indication_id, version)
);

CREATE TABLE protocols (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    current_version  INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX protocols_clinic ON protocols (clinic_id);

CREATE TABLE protocol_versions (
    protocol_id  BLOB NOT NULL REFERENCES protocols (id),
    version      INTEGER NOT NULL,
    protocol     TEXT NOT NULL,
    reason       TEXT,
    author_id    BLOB,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (protocol_id, version)
);

CREATE TABLE clinic_calendars (
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    version     INTEGER NOT NULL,
    calendar    TEXT NOT NULL,
    author_id   BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (clinic_id, version)
);

CREATE TABLE plans (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    patient_id       BLOB NOT NULL REFERENCES patients (id),
    current_version  INTEGER NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX plans_patient ON plans (patient_id, created_at);

CREATE TABLE plan_versions (
    plan_id     BLOB NOT NULL REFERENCES plans (id),
    version     INTEGER NOT NULL,
    facts       TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    reason      TEXT,
    author_id   BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE plan_approvals (
    plan_id      BLOB NOT NULL,
    version      INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    approved_by  BLOB NOT NULL REFERENCES users (id),
    approved_at  TEXT NOT NULL,
    PRIMARY KEY (plan_id, version),
    FOREIGN KEY (plan_id, version) REFERENCES plan_versions (plan_id, version)
);

CREATE TABLE appointments (
    id              BLOB PRIMARY KEY NOT NULL,
    clinic_id       BLOB NOT NULL REFERENCES clinics (id),
    patient_id      BLOB NOT NULL REFERENCES patients (id),
    plan_id         BLOB REFERENCES plans (id),
    session_ordinal INTEGER,
    proposed_date   TEXT,
    -- Booked by the course (its date follows the course when it is
    -- rescheduled) rather than on a date a person chose.
    follows_course  INTEGER NOT NULL DEFAULT 0 CHECK (follows_course IN (0, 1)),
    room            TEXT,
    staff_id        BLOB REFERENCES users (id),
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('booked', 'checked_in', 'done', 'no_show', 'cancelled')),
    note            TEXT,
    created_by      BLOB,
    created_at      TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_clinic_start ON appointments (clinic_id, starts_at);
CREATE INDEX appointments_patient_start ON appointments (patient_id, starts_at);
CREATE INDEX appointments_plan ON appointments (plan_id, session_ordinal);

-- Every change of an appointment: booked, a status, an undo (which names
-- the event it undoes), a move to another time.
CREATE TABLE appointment_events (
    appointment_id  BLOB NOT NULL REFERENCES appointments (id),
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('booked', 'status', 'undo', 'moved')),
    from_status     TEXT,
    to_status       TEXT NOT NULL,
    undoes_seq      INTEGER,
    starts_at       TEXT NOT NULL,
    ends_at         TEXT NOT NULL,
    reason          TEXT,
    actor_id        BLOB,
    actor_label     TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (appointment_id, seq)
);

CREATE TRIGGER indications_no_delete BEFORE DELETE ON indications
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER indication_versions_no_change BEFORE UPDATE ON indication_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER indication_versions_no_delete BEFORE DELETE ON indication_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER protocols_no_delete BEFORE DELETE ON protocols
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER protocol_versions_no_change BEFORE UPDATE ON protocol_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER protocol_versions_no_delete BEFORE DELETE ON protocol_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER clinic_calendars_no_change BEFORE UPDATE ON clinic_calendars
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER clinic_calendars_no_delete BEFORE DELETE ON clinic_calendars
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER plans_no_delete BEFORE DELETE ON plans
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER plan_versions_no_change BEFORE UPDATE ON plan_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER plan_versions_no_delete BEFORE DELETE ON plan_versions
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER plan_approvals_no_change BEFORE UPDATE ON plan_approvals
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER plan_approvals_no_delete BEFORE DELETE ON plan_approvals
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER appointments_no_delete BEFORE DELETE ON appointments
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
CREATE TRIGGER appointment_events_no_change BEFORE UPDATE ON appointment_events
BEGIN
    SELECT RAISE(ABORT, 'plan records are never rewritten');
END;
CREATE TRIGGER appointment_events_no_delete BEFORE DELETE ON appointment_events
BEGIN
    SELECT RAISE(ABORT, 'plan records are never deleted');
END;
