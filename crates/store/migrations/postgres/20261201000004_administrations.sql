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
    id                     uuid PRIMARY KEY,
    clinic_id              uuid NOT NULL REFERENCES clinics (id),
    patient_id             uuid NOT NULL REFERENCES patients (id),
    plan_id                uuid REFERENCES plans (id),
    plan_version           bigint,
    appointment_id         uuid REFERENCES appointments (id),
    route                  text NOT NULL,
    location_id            uuid NOT NULL REFERENCES locations (id),
    administered_by        uuid NOT NULL REFERENCES users (id),
    identity_check         text NOT NULL,
    check_outcome          text NOT NULL,
    overrides              text NOT NULL,
    human_derived          boolean NOT NULL,
    blood_donation_notice  text,
    current_version        bigint NOT NULL CHECK (current_version >= 1),
    started_at             timestamptz NOT NULL,
    status                 text NOT NULL CHECK (status IN ('recorded', 'voided')),
    void_reason            text,
    voided_by              uuid,
    voided_at              timestamptz,
    recorded_by            uuid,
    recorded_at            timestamptz NOT NULL,
    CHECK (plan_version IS NULL OR plan_id IS NOT NULL),
    CHECK ((status = 'voided') = (voided_at IS NOT NULL))
);
CREATE INDEX administrations_patient ON administrations (clinic_id, patient_id, started_at);
CREATE INDEX administrations_plan ON administrations (plan_id, started_at);
CREATE INDEX administrations_appointment ON administrations (appointment_id);
CREATE INDEX administrations_clinic_start ON administrations (clinic_id, started_at);

CREATE TABLE administration_versions (
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    version            bigint NOT NULL,
    sites              text,
    verified_by        uuid REFERENCES users (id),
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    observations       text,
    reactions          text,
    reason             text,
    author_id          uuid,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (administration_id, version)
);

CREATE TABLE administration_vials (
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    ordinal            bigint NOT NULL,
    lot_id             uuid NOT NULL REFERENCES lots (id),
    serial             text,
    opened_at          timestamptz,
    volume_ul          bigint NOT NULL CHECK (volume_ul > 0),
    voided_at          timestamptz,
    PRIMARY KEY (administration_id, ordinal)
);
CREATE INDEX administration_vials_lot ON administration_vials (lot_id, administration_id);
CREATE UNIQUE INDEX administration_vials_serial_in_use ON administration_vials (lot_id, serial)
    WHERE serial IS NOT NULL AND voided_at IS NULL;

CREATE FUNCTION administration_records_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'administration records are never deleted or rewritten (%)', TG_TABLE_NAME;
END;
$$;

-- Only the bookkeeping of an administration changes: the current version
-- (one step at a time) with its start, and the voiding (once; a voided row
-- is frozen).
CREATE FUNCTION administrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'voided' THEN
        RAISE EXCEPTION 'a voided administration is never changed';
    END IF;
    IF (NEW.id, NEW.clinic_id, NEW.patient_id, NEW.plan_id, NEW.plan_version, NEW.appointment_id,
        NEW.route, NEW.location_id, NEW.administered_by, NEW.identity_check, NEW.check_outcome,
        NEW.overrides, NEW.human_derived, NEW.blood_donation_notice, NEW.recorded_by, NEW.recorded_at)
       IS DISTINCT FROM
       (OLD.id, OLD.clinic_id, OLD.patient_id, OLD.plan_id, OLD.plan_version, OLD.appointment_id,
        OLD.route, OLD.location_id, OLD.administered_by, OLD.identity_check, OLD.check_outcome,
        OLD.overrides, OLD.human_derived, OLD.blood_donation_notice, OLD.recorded_by, OLD.recorded_at)
    THEN
        RAISE EXCEPTION 'administration records are never rewritten';
    END IF;
    IF NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1) THEN
        RAISE EXCEPTION 'administration versions advance one at a time';
    END IF;
    RETURN NEW;
END;
$$;

-- A vial row changes once: voided_at, when its dose is voided.
CREATE FUNCTION administration_vials_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.voided_at IS NOT NULL
       OR (NEW.administration_id, NEW.ordinal, NEW.lot_id, NEW.serial, NEW.opened_at, NEW.volume_ul)
          IS DISTINCT FROM
          (OLD.administration_id, OLD.ordinal, OLD.lot_id, OLD.serial, OLD.opened_at, OLD.volume_ul)
    THEN
        RAISE EXCEPTION 'administration records are never rewritten';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER administrations_no_delete BEFORE DELETE ON administrations
    FOR EACH ROW EXECUTE FUNCTION administration_records_keep();
CREATE TRIGGER administrations_no_change BEFORE UPDATE ON administrations
    FOR EACH ROW EXECUTE FUNCTION administrations_guard();
CREATE TRIGGER administration_versions_no_change BEFORE UPDATE OR DELETE ON administration_versions
    FOR EACH ROW EXECUTE FUNCTION administration_records_keep();
CREATE TRIGGER administration_vials_no_delete BEFORE DELETE ON administration_vials
    FOR EACH ROW EXECUTE FUNCTION administration_records_keep();
CREATE TRIGGER administration_vials_no_change BEFORE UPDATE ON administration_vials
    FOR EACH ROW EXECUTE FUNCTION administration_vials_guard();
CREATE TRIGGER administrations_no_truncate BEFORE TRUNCATE ON administrations
    FOR EACH STATEMENT EXECUTE FUNCTION administration_records_keep();
CREATE TRIGGER administration_versions_no_truncate BEFORE TRUNCATE ON administration_versions
    FOR EACH STATEMENT EXECUTE FUNCTION administration_records_keep();
CREATE TRIGGER administration_vials_no_truncate BEFORE TRUNCATE ON administration_vials
    FOR EACH STATEMENT EXECUTE FUNCTION administration_records_keep();
