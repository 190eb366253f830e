-- Supply and quality: storage locations, products (versioned), lots and their
-- history, certificate results and documents, the stock ledger, temperature
-- logger imports and excursions. Every table is scoped by clinic.

CREATE TABLE locations (
    id          uuid PRIMARY KEY,
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    code        text NOT NULL,
    name        text NOT NULL,
    min_temp    bigint NOT NULL,
    max_temp    bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE products (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    code             text NOT NULL,
    current_version  bigint NOT NULL,
    name             text NOT NULL,
    gtin             text,
    created_at       timestamptz NOT NULL,
    UNIQUE (clinic_id, code)
);
CREATE INDEX products_gtin ON products (clinic_id, gtin);

CREATE TABLE product_versions (
    product_id  uuid NOT NULL REFERENCES products (id),
    version     bigint NOT NULL,
    facts       text NOT NULL,
    reason      text,
    author_id   uuid,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (product_id, version)
);

CREATE TABLE lots (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    product_id       uuid NOT NULL REFERENCES products (id),
    product_version  bigint NOT NULL,
    lot_number       text NOT NULL,
    expiry           date NOT NULL,
    state            text NOT NULL CHECK (state IN ('quarantined', 'released', 'on_hold', 'recalled', 'rejected')),
    held_from        text CHECK (held_from IN ('quarantined', 'released')),
    supplier_ref     text,
    scan_raw         text,
    received_seq     bigint NOT NULL,
    received_at      timestamptz NOT NULL,
    received_by      uuid,
    UNIQUE (clinic_id, product_id, lot_number)
);
CREATE INDEX lots_clinic_state ON lots (clinic_id, state, expiry);
CREATE INDEX lots_number ON lots (clinic_id, lot_number);

CREATE TABLE lot_events (
    id          uuid PRIMARY KEY,
    clinic_id   uuid NOT NULL REFERENCES clinics (id),
    lot_id      uuid NOT NULL REFERENCES lots (id),
    action      text NOT NULL,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    reason      text,
    evidence    text NOT NULL,
    actor_id    uuid,
    at          timestamptz NOT NULL
);
CREATE INDEX lot_events_lot ON lot_events (lot_id, at);

CREATE TABLE certificates (
    id            uuid PRIMARY KEY,
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    lot_id        uuid NOT NULL REFERENCES lots (id),
    filename      text NOT NULL,
    content_type  text NOT NULL,
    sha256        text NOT NULL,
    size          bigint NOT NULL,
    data          bytea NOT NULL,
    uploaded_by   uuid,
    at            timestamptz NOT NULL
);
CREATE INDEX certificates_lot ON certificates (lot_id);

CREATE TABLE qc_results (
    id              uuid PRIMARY KEY,
    clinic_id       uuid NOT NULL REFERENCES clinics (id),
    lot_id          uuid NOT NULL REFERENCES lots (id),
    test            text NOT NULL,
    method          text NOT NULL,
    outcome         text NOT NULL,
    tested_on       date NOT NULL,
    certificate_id  uuid REFERENCES certificates (id),
    entered_by      uuid,
    at              timestamptz NOT NULL
);
CREATE INDEX qc_results_lot ON qc_results (lot_id);

CREATE TABLE stock_movements (
    id           uuid PRIMARY KEY,
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    lot_id       uuid NOT NULL REFERENCES lots (id),
    location_id  uuid NOT NULL REFERENCES locations (id),
    delta        bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('receive', 'move', 'use', 'destroy', 'adjust')),
    reason       text,
    witness_id   uuid REFERENCES users (id),
    actor_id     uuid,
    at           timestamptz NOT NULL
);
CREATE INDEX stock_movements_lot_loc ON stock_movements (lot_id, location_id);
CREATE INDEX stock_movements_clinic ON stock_movements (clinic_id, location_id);

CREATE TABLE temperature_imports (
    id            uuid PRIMARY KEY,
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    location_id   uuid NOT NULL REFERENCES locations (id),
    filename      text NOT NULL,
    sha256        text NOT NULL,
    device        text,
    reading_count bigint NOT NULL,
    first_at      timestamptz NOT NULL,
    last_at       timestamptz NOT NULL,
    imported_by   uuid,
    at            timestamptz NOT NULL,
    UNIQUE (location_id, sha256)
);

CREATE TABLE temperature_readings (
    import_id  uuid NOT NULL REFERENCES temperature_imports (id),
    at         timestamptz NOT NULL,
    temp       bigint NOT NULL,
    PRIMARY KEY (import_id, at)
);

CREATE TABLE excursions (
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    location_id      uuid NOT NULL REFERENCES locations (id),
    import_id        uuid NOT NULL REFERENCES temperature_imports (id),
    start_at         timestamptz NOT NULL,
    end_at           timestamptz NOT NULL,
    minutes          bigint NOT NULL,
    extreme          bigint NOT NULL,
    direction        text NOT NULL CHECK (direction IN ('above', 'below', 'both')),
    acknowledged_by  uuid,
    acknowledged_at  timestamptz,
    comment          text
);
CREATE INDEX excursions_open ON excursions (clinic_id, acknowledged_at);

CREATE TABLE excursion_lots (
    excursion_id  uuid NOT NULL REFERENCES excursions (id),
    lot_id        uuid NOT NULL REFERENCES lots (id),
    PRIMARY KEY (excursion_id, lot_id)
);
CREATE INDEX excursion_lots_lot ON excursion_lots (lot_id);

CREATE TABLE lot_seq (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint NOT NULL
);
INSERT INTO lot_seq (id, seq) VALUES (1, 0);
