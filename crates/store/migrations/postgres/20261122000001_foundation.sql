-- Foundation: clinics, users and their grants, sessions, API tokens, the audit chain.
-- Ids are UUIDv7; instants are timestamptz (UTC, microseconds); enums are text with CHECK.

CREATE TABLE clinics (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    name_en     text,
    time_zone   text NOT NULL DEFAULT 'Asia/Tokyo',
    created_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    login          text NOT NULL UNIQUE,
    display_name   text NOT NULL,
    password_hash  text NOT NULL,
    locale         text CHECK (locale IN ('ja', 'en')),
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE user_clinics (
    user_id     uuid NOT NULL REFERENCES users (id),
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    role        text NOT NULL CHECK (role IN ('physician', 'nurse', 'coordinator', 'quality', 'admin', 'auditor')),
    granted_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, clinic_id)
);
CREATE INDEX user_clinics_clinic ON user_clinics (clinic_id);

CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    token_hash    text NOT NULL UNIQUE,
    user_id       uuid NOT NULL REFERENCES users (id),
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    csrf_token    text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    name          text NOT NULL,
    token_hash    text NOT NULL UNIQUE,
    prefix        text NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    seq          bigint PRIMARY KEY,
    at           timestamptz NOT NULL,
    actor_id     uuid,
    actor_label  text NOT NULL,
    clinic_id    uuid,
    action       text NOT NULL,
    entity_kind  text NOT NULL,
    entity_id    text,
    changes      text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL
);
CREATE INDEX audit_log_clinic_seq ON audit_log (clinic_id, seq);
CREATE INDEX audit_log_entity ON audit_log (entity_kind, entity_id);

CREATE TABLE audit_head (
    id    integer PRIMARY KEY CHECK (id = 1),
    seq   bigint NOT NULL,
    hash  text NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit log is append-only: jousei never updates or deletes an entry.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
