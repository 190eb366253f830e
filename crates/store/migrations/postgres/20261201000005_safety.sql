-- Adverse events (versions, involved doses, follow-up tasks, notifications)
-- and recall campaigns (lots, contact attempts, closing report).
--
-- adverse_events: one row per event. Its facts (clinic, patient, who
-- reported it and when) never change; only the bookkeeping may:
-- current_version (one step at a time) with onset_at copied from that
-- version for ordering. Never deleted.
-- adverse_event_versions: the facts of each version (AdverseEventFacts as
-- JSON text) with the reporting due date, and the reason and author of a
-- revision. Append-only.
-- adverse_event_administrations: the doses each version names as involved
-- (also in the facts JSON; this table is the index from a dose to its
-- events). Append-only.
-- adverse_event_follow_ups: the follow-up tasks (day 7, day 30). note,
-- done_by and done_at are set once, together, when the task is done; a done
-- task is frozen. Never deleted.
-- adverse_event_notifications: every report or notice sent. Append-only.
-- recalls: one row per campaign. Its facts never change; report, closed_at
-- and closed_by are set once, when it is closed; a closed recall is frozen.
-- Never deleted.
-- recall_lots: the lots of a campaign, in the order given, with the state
-- each was in when the recall started (a rejected lot stays rejected, an
-- already recalled lot stays recalled; every other becomes recalled in the
-- same transaction, with its lot event). Append-only.
-- recall_contacts: every contact attempt. Append-only.
--
-- Indexes:
-- - adverse_events (clinic_id, patient_id): a patient's events.
-- - adverse_events (clinic_id, onset_at): a clinic's events, newest first.
-- - adverse_event_administrations (administration_id): dose → events.
-- - adverse_event_follow_ups (adverse_event_id, due_on): an event's tasks;
--   (clinic_id, due_on) WHERE done_at IS NULL: a clinic's open tasks by
--   date (the follow-up keeps its event's clinic for this).
-- - adverse_event_notifications (adverse_event_id, sent_at).
-- - recalls (clinic_id, started_at): a clinic's recalls, newest first.
-- - recall_lots (lot_id): lot → recalls.
-- - recall_contacts (recall_id, patient_id): a campaign's attempts per
--   patient (progress).

CREATE TABLE adverse_events (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    patient_id       uuid NOT NULL REFERENCES patients (id),
    current_version  bigint NOT NULL CHECK (current_version >= 1),
    onset_at         timestamptz NOT NULL,
    reported_by      uuid,
    reported_at      timestamptz NOT NULL
);
CREATE INDEX adverse_events_patient ON adverse_events (clinic_id, patient_id);
CREATE INDEX adverse_events_clinic_onset ON adverse_events (clinic_id, onset_at);

CREATE TABLE adverse_event_versions (
    adverse_event_id  uuid NOT NULL REFERENCES adverse_events (id),
    version           bigint NOT NULL CHECK (version >= 1),
    facts             text NOT NULL,
    due_date          date,
    reason            text,
    author_id         uuid,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (adverse_event_id, version)
);

CREATE TABLE adverse_event_administrations (
    adverse_event_id   uuid NOT NULL,
    version            bigint NOT NULL,
    administration_id  uuid NOT NULL REFERENCES administrations (id),
    PRIMARY KEY (adverse_event_id, version, administration_id),
    FOREIGN KEY (adverse_event_id, version) REFERENCES adverse_event_versions (adverse_event_id, version)
);
CREATE INDEX adverse_event_administrations_administration
    ON adverse_event_administrations (administration_id);

CREATE TABLE adverse_event_follow_ups (
    id                uuid PRIMARY KEY,
    clinic_id         uuid NOT NULL REFERENCES clinics (id),
    adverse_event_id  uuid NOT NULL REFERENCES adverse_events (id),
    due_on            date NOT NULL,
    note              text,
    done_by           uuid,
    done_at           timestamptz,
    CHECK ((note IS NULL) = (done_at IS NULL)),
    CHECK (done_by IS NULL OR done_at IS NOT NULL)
);
CREATE INDEX adverse_event_follow_ups_event ON adverse_event_follow_ups (adverse_event_id, due_on);
CREATE INDEX adverse_event_follow_ups_open ON adverse_event_follow_ups (clinic_id, due_on)
    WHERE done_at IS NULL;

CREATE TABLE adverse_event_notifications (
    id                uuid PRIMARY KEY,
    adverse_event_id  uuid NOT NULL REFERENCES adverse_events (id),
    recipient         text NOT NULL CHECK (recipient IN ('authority', 'supplier')),
    channel           text NOT NULL,
    reference         text,
    sent_at           timestamptz NOT NULL,
    recorded_by       uuid,
    recorded_at       timestamptz NOT NULL
);
CREATE INDEX adverse_event_notifications_event
    ON adverse_event_notifications (adverse_event_id, sent_at);

CREATE TABLE recalls (
    id          uuid PRIMARY KEY,
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    scope       text NOT NULL CHECK (scope IN ('lot', 'product', 'supplier', 'source')),
    subject     text NOT NULL,
    reason      text NOT NULL,
    started_by  uuid,
    started_at  timestamptz NOT NULL,
    report      text,
    closed_at   timestamptz,
    closed_by   uuid,
    CHECK ((report IS NULL) = (closed_at IS NULL)),
    CHECK (closed_by IS NULL OR closed_at IS NOT NULL)
);
CREATE INDEX recalls_clinic ON recalls (clinic_id, started_at);

CREATE TABLE recall_lots (
    recall_id    uuid NOT NULL REFERENCES recalls (id),
    ordinal      bigint NOT NULL,
    lot_id       uuid NOT NULL REFERENCES lots (id),
    prior_state  text NOT NULL CHECK (prior_state IN ('quarantined', 'released', 'on_hold', 'recalled', 'rejected')),
    PRIMARY KEY (recall_id, lot_id),
    UNIQUE (recall_id, ordinal)
);
CREATE INDEX recall_lots_lot ON recall_lots (lot_id);

CREATE TABLE recall_contacts (
    id           uuid PRIMARY KEY,
    recall_id    uuid NOT NULL REFERENCES recalls (id),
    patient_id   uuid NOT NULL REFERENCES patients (id),
    method       text NOT NULL CHECK (method IN ('phone', 'sms', 'email', 'letter', 'in_person')),
    outcome      text NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'left_message', 'wrong_number')),
    note         text,
    at           timestamptz NOT NULL,
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX recall_contacts_patient ON recall_contacts (recall_id, patient_id);

CREATE FUNCTION safety_records_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'safety records are never deleted or rewritten (%)', TG_TABLE_NAME;
END;
$$;

-- Only the bookkeeping of an adverse event changes: the current version
-- (one step at a time) with its onset.
CREATE FUNCTION adverse_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.clinic_id, NEW.patient_id, NEW.reported_by, NEW.reported_at)
       IS DISTINCT FROM
       (OLD.id, OLD.clinic_id, OLD.patient_id, OLD.reported_by, OLD.reported_at)
    THEN
        RAISE EXCEPTION 'adverse event records are never rewritten';
    END IF;
    IF NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1) THEN
        RAISE EXCEPTION 'adverse event versions advance one at a time';
    END IF;
    RETURN NEW;
END;
$$;

-- A follow-up task changes once: note, done_by and done_at, when done.
CREATE FUNCTION adverse_event_follow_ups_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.done_at IS NOT NULL
       OR (NEW.id, NEW.clinic_id, NEW.adverse_event_id, NEW.due_on)
          IS DISTINCT FROM
          (OLD.id, OLD.clinic_id, OLD.adverse_event_id, OLD.due_on)
    THEN
        RAISE EXCEPTION 'adverse event records are never rewritten';
    END IF;
    RETURN NEW;
END;
$$;

-- A recall changes once: report, closed_at and closed_by, when closed.
CREATE FUNCTION recalls_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.closed_at IS NOT NULL
       OR (NEW.id, NEW.clinic_id, NEW.scope, NEW.subject, NEW.reason, NEW.started_by, NEW.started_at)
          IS DISTINCT FROM
          (OLD.id, OLD.clinic_id, OLD.scope, OLD.subject, OLD.reason, OLD.started_by, OLD.started_at)
    THEN
        RAISE EXCEPTION 'recall records are never rewritten';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER adverse_events_no_delete BEFORE DELETE ON adverse_events
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_events_no_change BEFORE UPDATE ON adverse_events
    FOR EACH ROW EXECUTE FUNCTION adverse_events_guard();
CREATE TRIGGER adverse_event_versions_no_change BEFORE UPDATE OR DELETE ON adverse_event_versions
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_administrations_no_change BEFORE UPDATE OR DELETE ON adverse_event_administrations
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_follow_ups_no_delete BEFORE DELETE ON adverse_event_follow_ups
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_follow_ups_no_change BEFORE UPDATE ON adverse_event_follow_ups
    FOR EACH ROW EXECUTE FUNCTION adverse_event_follow_ups_guard();
CREATE TRIGGER adverse_event_notifications_no_change BEFORE UPDATE OR DELETE ON adverse_event_notifications
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recalls_no_delete BEFORE DELETE ON recalls
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recalls_no_change BEFORE UPDATE ON recalls
    FOR EACH ROW EXECUTE FUNCTION recalls_guard();
CREATE TRIGGER recall_lots_no_change BEFORE UPDATE OR DELETE ON recall_lots
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recall_contacts_no_change BEFORE UPDATE OR DELETE ON recall_contacts
    FOR EACH ROW EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_events_no_truncate BEFORE TRUNCATE ON adverse_events
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_versions_no_truncate BEFORE TRUNCATE ON adverse_event_versions
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_administrations_no_truncate BEFORE TRUNCATE ON adverse_event_administrations
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_follow_ups_no_truncate BEFORE TRUNCATE ON adverse_event_follow_ups
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER adverse_event_notifications_no_truncate BEFORE TRUNCATE ON adverse_event_notifications
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recalls_no_truncate BEFORE TRUNCATE ON recalls
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recall_lots_no_truncate BEFORE TRUNCATE ON recall_lots
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
CREATE TRIGGER recall_contacts_no_truncate BEFORE TRUNCATE ON recall_contacts
    FOR EACH STATEMENT EXECUTE FUNCTION safety_records_keep();
