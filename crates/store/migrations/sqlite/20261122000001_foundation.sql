-- Foundation: clinics, users and their grants, sessions, API tokens, the audit chain.
-- Ids are UUIDv7 (16-byte BLOB here, uuid in PostgreSQL); instants are UTC text with
-- microsecond precision (fixed width, so they sort); enums are TEXT with CHECK.

CREATE TABLE clinics (
    id          BLOB PRIMARY KEY NOT NULL,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    name_en     TEXT,
    time_zone   TEXT NOT NULL DEFAULT 'Asia/Tokyo',
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             BLOB PRIMARY KEY NOT NULL,
    login          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    locale         TEXT CHECK (locale IN ('ja', 'en')),
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

CREATE TABLE user_clinics (
    user_id     BLOB NOT NULL REFERENCES users (id),
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    role        TEXT NOT NULL CHECK (role IN ('physician', 'nurse', 'coordinator', 'quality', 'admin', 'auditor')),
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, clinic_id)
);
CREATE INDEX user_clinics_clinic ON user_clinics (clinic_id);

CREATE TABLE sessions (
    id            BLOB PRIMARY KEY NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id),
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            BLOB PRIMARY KEY NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id),
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    prefix        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT,
    revoked_at    TEXT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY NOT NULL,
    at           TEXT NOT NULL,
    actor_id     BLOB,
    actor_label  TEXT NOT NULL,
    clinic_id    BLOB,
    action       TEXT NOT NULL,
    entity_kind  TEXT NOT NULL,
    entity_id    TEXT,
    changes      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_log_clinic_seq ON audit_log (clinic_id, seq);
CREATE INDEX audit_log_entity ON audit_log (entity_kind, entity_id);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only: jousei never updates or deletes an entry.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
