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
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    patient_id       BLOB NOT NULL REFERENCES patients (id),
    current_version  INTEGER NOT NULL CHECK (current_version >= 1),
    onset_at         TEXT NOT NULL,
    reported_by      BLOB,
    reported_at      TEXT NOT NULL
);
CREATE INDEX adverse_events_patient ON adverse_events (clinic_id, patient_id);
CREATE INDEX adverse_events_clinic_onset ON adverse_events (clinic_id, onset_at);

CREATE TABLE adverse_event_versions (
    adverse_event_id  BLOB NOT NULL REFERENCES adverse_events (id),
    version           INTEGER NOT NULL CHECK (version >= 1),
    facts             TEXT NOT NULL,
    due_date          TEXT,
    reason            TEXT,
    author_id         BLOB,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (adverse_event_id, version)
);

CREATE TABLE adverse_event_administrations (
    adverse_event_id   BLOB NOT NULL,
    version            INTEGER NOT NULL,
    administration_id  BLOB NOT NULL REFERENCES administrations (id),
    PRIMARY KEY (adverse_event_id, version, administration_id),
    FOREIGN KEY (adverse_event_id, version) REFERENCES adverse_event_versions (adverse_event_id, version)
);
CREATE INDEX adverse_event_administrations_administration
    ON adverse_event_administrations (administration_id);

CREATE TABLE adverse_event_follow_ups (
    id                BLOB PRIMARY KEY NOT NULL,
    clinic_id         BLOB NOT NULL REFERENCES clinics (id),
    adverse_event_id  BLOB NOT NULL REFERENCES adverse_events (id),
    due_on            TEXT NOT NULL,
    note              TEXT,
    done_by           BLOB,
    done_at           TEXT,
    CHECK ((note IS NULL) = (done_at IS NULL)),
    CHECK (done_by IS NULL OR done_at IS NOT NULL)
);
CREATE INDEX adverse_event_follow_ups_event ON adverse_event_follow_ups (adverse_event_id, due_on);
CREATE INDEX adverse_event_follow_ups_open ON adverse_event_follow_ups (clinic_id, due_on)
    WHERE done_at IS NULL;

CREATE TABLE adverse_event_notifications (
    id                BLOB PRIMARY KEY NOT NULL,
    adverse_event_id  BLOB NOT NULL REFERENCES adverse_events (id),
    recipient         TEXT NOT NULL CHECK (recipient IN ('authority', 'supplier')),
    channel           TEXT NOT NULL,
    reference         TEXT,
    sent_at           TEXT NOT NULL,
    recorded_by       BLOB,
    recorded_at       TEXT NOT NULL
);
CREATE INDEX adverse_event_notifications_event
    ON adverse_event_notifications (adverse_event_id, sent_at);

CREATE TABLE recalls (
    id          BLOB PRIMARY KEY NOT NULL,
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    scope       TEXT NOT NULL CHECK (scope IN ('lot', 'product', 'supplier', 'source')),
    subject     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    started_by  BLOB,
    started_at  TEXT NOT NULL,
    report      TEXT,
    closed_at   TEXT,
    closed_by   BLOB,
    CHECK ((report IS NULL) = (closed_at IS NULL)),
    CHECK (closed_by IS NULL OR closed_at IS NOT NULL)
);
CREATE INDEX recalls_clinic ON recalls (clinic_id, started_at);

CREATE TABLE recall_lots (
    recall_id    BLOB NOT NULL REFERENCES recalls (id),
    ordinal      INTEGER NOT NULL,
    lot_id       BLOB NOT NULL REFERENCES lots (id),
    prior_state  TEXT NOT NULL CHECK (prior_state IN ('quarantined', 'released', 'on_hold', 'recalled', 'rejected')),
    PRIMARY KEY (recall_id, lot_id),
    UNIQUE (recall_id, ordinal)
);
CREATE INDEX recall_lots_lot ON recall_lots (lot_id);

CREATE TABLE recall_contacts (
    id           BLOB PRIMARY KEY NOT NULL,
    recall_id    BLOB NOT NULL REFERENCES recalls (id),
    patient_id   BLOB NOT NULL REFERENCES patients (id),
    method       TEXT NOT NULL CHECK (method IN ('phone', 'sms', 'email', 'letter', 'in_person')),
    outcome      TEXT NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'left_message', 'wrong_number')),
    note         TEXT,
    at           TEXT NOT NULL,
    recorded_by  BLOB,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX recall_contacts_patient ON recall_contacts (recall_id, patient_id);

CREATE TRIGGER adverse_events_no_delete BEFORE DELETE ON adverse_events
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never deleted');
END;
CREATE TRIGGER adverse_events_facts_no_change BEFORE UPDATE OF
    id, clinic_id, patient_id, reported_by, reported_at
    ON adverse_events
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never rewritten');
END;
CREATE TRIGGER adverse_events_version_steps BEFORE UPDATE OF current_version ON adverse_events
    WHEN NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1)
BEGIN
    SELECT RAISE(ABORT, 'adverse event versions advance one at a time');
END;
CREATE TRIGGER adverse_event_versions_no_change BEFORE UPDATE ON adverse_event_versions
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never rewritten');
END;
CREATE TRIGGER adverse_event_versions_no_delete BEFORE DELETE ON adverse_event_versions
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never deleted');
END;
CREATE TRIGGER adverse_event_administrations_no_change BEFORE UPDATE ON adverse_event_administrations
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never rewritten');
END;
CREATE TRIGGER adverse_event_administrations_no_delete BEFORE DELETE ON adverse_event_administrations
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never deleted');
END;
CREATE TRIGGER adverse_event_follow_ups_no_delete BEFORE DELETE ON adverse_event_follow_ups
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never deleted');
END;
CREATE TRIGGER adverse_event_follow_ups_task_no_change BEFORE UPDATE OF
    id, clinic_id, adverse_event_id, due_on
    ON adverse_event_follow_ups
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never rewritten');
END;
CREATE TRIGGER adverse_event_follow_ups_done_frozen BEFORE UPDATE ON adverse_event_follow_ups
    WHEN OLD.done_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a done follow-up is never rewritten');
END;
CREATE TRIGGER adverse_event_notifications_no_change BEFORE UPDATE ON adverse_event_notifications
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never rewritten');
END;
CREATE TRIGGER adverse_event_notifications_no_delete BEFORE DELETE ON adverse_event_notifications
BEGIN
    SELECT RAISE(ABORT, 'adverse event records are never deleted');
END;
CREATE TRIGGER recalls_no_delete BEFORE DELETE ON recalls
BEGIN
    SELECT RAISE(ABORT, 'recall records are never deleted');
END;
CREATE TRIGGER recalls_facts_no_change BEFORE UPDATE OF
    id, clinic_id, scope, subject, reason, started_by, started_at
    ON recalls
BEGIN
    SELECT RAISE(ABORT, 'recall records are never rewritten');
END;
CREATE TRIGGER recalls_closed_frozen BEFORE UPDATE ON recalls
    WHEN OLD.closed_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a closed recall is never rewritten');
END;
CREATE TRIGGER recall_lots_no_change BEFORE UPDATE ON recall_lots
BEGIN
    SELECT RAISE(ABORT, 'recall records are never rewritten');
END;
CREATE TRIGGER recall_lots_no_delete BEFORE DELETE ON recall_lots
BEGIN
    SELECT RAISE(ABORT, 'recall records are never deleted');
END;
CREATE TRIGGER recall_contacts_no_change BEFORE UPDATE ON recall_contacts
BEGIN
    SELECT RAISE(ABORT, 'recall records are never rewritten');
END;
CREATE TRIGGER recall_contacts_no_delete BEFORE DELETE ON recall_contacts
BEGIN
    SELECT RAISE(ABORT, 'recall records are never deleted');
END;
