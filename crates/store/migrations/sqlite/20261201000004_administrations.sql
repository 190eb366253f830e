-- Administrations (doses given at the chair) and the lookback both ways.
--
-- administrations: one row per dose. Its facts (patient, plan, appointment,
-- route, location, who gave it, identity check, findings and overrides as
-- JSON text, human-derived, blood-donation notice, who recorded it and
-- when) never change. Only the bookkeeping may: current_version (one step
-- at a time, with started_at copied from that version for ordering and
-- indexing), and status/void_reason/voided_by/voided_at once, when the dose
-- is voided; a voided row is frozen. Triggers enforce this.
-- administration_versions: the details (sites, times, verifier,
-- observations, reactions) of each version, with the reason and author of
-- a correction. Append-only.
-- administration_vials: every vial of a dose (a blend has one row or more
-- per contributing lot), with lot, serial, opening time and volume.
-- Append-only except voided_at, set once when the dose is voided.
--
-- Indexes, for 20 million administrations across 1,000 clinics:
-- - administration_vials (lot_id, administration_id): lot → doses, the
--   recall lookback, whatever the number of lots given in one query.
-- - administration_vials_serial_in_use: UNIQUE (lot_id, serial) among vials
--   with a serial that are not voided. The database itself refuses a vial
--   used twice (partial indexes exist in both SQLite and PostgreSQL); the
--   write transaction also checks first, under the write lock, to answer
--   with `vial_already_used`.
-- - administrations (clinic_id, patient_id, started_at): a patient's doses
--   and patient → lots lookback.
-- - administrations (plan_id, started_at): the last dose under a plan.
-- - administrations (appointment_id): the dose of an appointment.
-- - administrations (clinic_id, started_at): a clinic's doses by day.

CREATE TABLE administrations (
    id                     BLOB PRIMARY KEY NOT NULL,
    clinic_id              BLOB NOT NULL REFERENCES clinics (id),
    patient_id             BLOB NOT NULL REFERENCES patients (id),
    plan_id                BLOB REFERENCES plans (id),
    plan_version           INTEGER,
    appointment_id         BLOB REFERENCES appointments (id),
    route                  TEXT NOT NULL,
    location_id            BLOB NOT NULL REFERENCES locations (id),
    administered_by        BLOB NOT NULL REFERENCES users (id),
    identity_check         TEXT NOT NULL,
    check_outcome          TEXT NOT NULL,
    overrides              TEXT NOT NULL,
    human_derived          INTEGER NOT NULL CHECK (human_derived IN (0, 1)),
    blood_donation_notice  TEXT,
    current_version        INTEGER NOT NULL CHECK (current_version >= 1),
    started_at             TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('recorded', 'voided')),
    void_reason            TEXT,
    voided_by              BLOB,
    voided_at              TEXT,
    recorded_by            BLOB,
    recorded_at            TEXT NOT NULL,
    CHECK (plan_version IS NULL OR plan_id IS NOT NULL),
    CHECK ((status = 'voided') = (voided_at IS NOT NULL))
);
CREATE INDEX administrations_patient ON administrations (clinic_id, patient_id, started_at);
CREATE INDEX administrations_plan ON administrations (plan_id, started_at);
CREATE INDEX administrations_appointment ON administrations (appointment_id);
CREATE INDEX administrations_clinic_start ON administrations (clinic_id, started_at);

CREATE TABLE administration_versions (
    administration_id  BLOB NOT NULL REFERENCES administrations (id),
    version            INTEGER NOT NULL,
    sites              TEXT,
    verified_by        BLOB REFERENCES users (id),
    started_at         TEXT NOT NULL,
    ended_at           TEXT,
    observations       TEXT,
    reactions          TEXT,
    reason             TEXT,
    author_id          BLOB,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (administration_id, version)
);

CREATE TABLE administration_vials (
    administration_id  BLOB NOT NULL REFERENCES administrations (id),
    ordinal            INTEGER NOT NULL,
    lot_id             BLOB NOT NULL REFERENCES lots (id),
    serial             TEXT,
    opened_at          TEXT,
    volume_ul          INTEGER NOT NULL CHECK (volume_ul > 0),
    voided_at          TEXT,
    PRIMARY KEY (administration_id, ordinal)
);
CREATE INDEX administration_vials_lot ON administration_vials (lot_id, administration_id);
CREATE UNIQUE INDEX administration_vials_serial_in_use ON administration_vials (lot_id, serial)
    WHERE serial IS NOT NULL AND voided_at IS NULL;

CREATE TRIGGER administrations_no_delete BEFORE DELETE ON administrations
BEGIN
    SELECT RAISE(ABORT, 'administration records are never deleted');
END;
CREATE TRIGGER administrations_facts_no_change BEFORE UPDATE OF
    id, clinic_id, patient_id, plan_id, plan_version, appointment_id, route, location_id,
    administered_by, identity_check, check_outcome, overrides, human_derived,
    blood_donation_notice, recorded_by, recorded_at
    ON administrations
BEGIN
    SELECT RAISE(ABORT, 'administration records are never rewritten');
END;
CREATE TRIGGER administrations_voided_frozen BEFORE UPDATE ON administrations
    WHEN OLD.status = 'voided'
BEGIN
    SELECT RAISE(ABORT, 'a voided administration is never changed');
END;
CREATE TRIGGER administrations_version_steps BEFORE UPDATE OF current_version ON administrations
    WHEN NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1)
BEGIN
    SELECT RAISE(ABORT, 'administration versions advance one at a time');
END;
CREATE TRIGGER administration_versions_no_change BEFORE UPDATE ON administration_versions
BEGIN
    SELECT RAISE(ABORT, 'administration records are never rewritten');
END;
CREATE TRIGGER administration_versions_no_delete BEFORE DELETE ON administration_versions
BEGIN
    SELECT RAISE(ABORT, 'administration records are never deleted');
END;
CREATE TRIGGER administration_vials_no_delete BEFORE DELETE ON administration_vials
BEGIN
    SELECT RAISE(ABORT, 'administration records are never deleted');
END;
CREATE TRIGGER administration_vials_no_change BEFORE UPDATE OF
    administration_id, ordinal, lot_id, serial, opened_at, volume_ul
    ON administration_vials
BEGIN
    SELECT RAISE(ABORT, 'administration records are never rewritten');
END;
CREATE TRIGGER administration_vials_voided_frozen BEFORE UPDATE ON administration_vials
    WHEN OLD.voided_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'administration records are never rewritten');
END;
