-- Supply and quality: storage locations, products (versioned), lots and their
-- history, certificate results and documents, the stock ledger, temperature
-- logger imports and excursions. Every table is scoped by clinic.

CREATE TABLE locations (
    id          BLOB PRIMARY KEY NOT NULL,
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    min_temp    INTEGER NOT NULL,
    max_temp    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (clinic_id, code)
);

CREATE TABLE products (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    code             TEXT NOT NULL,
    current_version  INTEGER NOT NULL,
    name             TEXT NOT NULL,
    gtin             TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (clinic_id, code)
);
CREATE INDEX products_gtin ON products (clinic_id, gtin);

CREATE TABLE product_versions (
    product_id  BLOB NOT NULL REFERENCES products (id),
    version     INTEGER NOT NULL,
    facts       TEXT NOT NULL,
    reason      TEXT,
    author_id   BLOB,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (product_id, version)
);

CREATE TABLE lots (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    product_id       BLOB NOT NULL REFERENCES products (id),
    product_version  INTEGER NOT NULL,
    lot_number       TEXT NOT NULL,
    expiry           TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('quarantined', 'released', 'on_hold', 'recalled', 'rejected')),
    held_from        TEXT CHECK (held_from IN ('quarantined', 'released')),
    supplier_ref     TEXT,
    scan_raw         TEXT,
    received_seq     INTEGER NOT NULL,
    received_at      TEXT NOT NULL,
    received_by      BLOB,
    UNIQUE (clinic_id, product_id, lot_number)
);
CREATE INDEX lots_clinic_state ON lots (clinic_id, state, expiry);
CREATE INDEX lots_number ON lots (clinic_id, lot_number);

CREATE TABLE lot_events (
    id          BLOB PRIMARY KEY NOT NULL,
    clinic_id   BLOB NOT NULL REFERENCES clinics (id),
    lot_id      BLOB NOT NULL REFERENCES lots (id),
    action      TEXT NOT NULL,
    from_state  TEXT NOT NULL,
    to_state    TEXT NOT NULL,
    reason      TEXT,
    evidence    TEXT NOT NULL,
    actor_id    BLOB,
    at          TEXT NOT NULL
);
CREATE INDEX lot_events_lot ON lot_events (lot_id, at);

CREATE TABLE certificates (
    id            BLOB PRIMARY KEY NOT NULL,
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    lot_id        BLOB NOT NULL REFERENCES lots (id),
    filename      TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    data          BLOB NOT NULL,
    uploaded_by   BLOB,
    at            TEXT NOT NULL
);
CREATE INDEX certificates_lot ON certificates (lot_id);

CREATE TABLE qc_results (
    id              BLOB PRIMARY KEY NOT NULL,
    clinic_id       BLOB NOT NULL REFERENCES clinics (id),
    lot_id          BLOB NOT NULL REFERENCES lots (id),
    test            TEXT NOT NULL,
    method          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    tested_on       TEXT NOT NULL,
    certificate_id  BLOB REFERENCES certificates (id),
    entered_by      BLOB,
    at              TEXT NOT NULL
);
CREATE INDEX qc_results_lot ON qc_results (lot_id);

CREATE TABLE stock_movements (
    id           BLOB PRIMARY KEY NOT NULL,
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    lot_id       BLOB NOT NULL REFERENCES lots (id),
    location_id  BLOB NOT NULL REFERENCES locations (id),
    delta        INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('receive', 'move', 'use', 'destroy', 'adjust')),
    reason       TEXT,
    witness_id   BLOB REFERENCES users (id),
    actor_id     BLOB,
    at           TEXT NOT NULL
);
CREATE INDEX stock_movements_lot_loc ON stock_movements (lot_id, location_id);
CREATE INDEX stock_movements_clinic ON stock_movements (clinic_id, location_id);

CREATE TABLE temperature_imports (
    id            BLOB PRIMARY KEY NOT NULL,
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    location_id   BLOB NOT NULL REFERENCES locations (id),
    filename      TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    device        TEXT,
    reading_count INTEGER NOT NULL,
    first_at      TEXT NOT NULL,
    last_at       TEXT NOT NULL,
    imported_by   BLOB,
    at            TEXT NOT NULL,
    UNIQUE (location_id, sha256)
);

CREATE TABLE temperature_readings (
    import_id  BLOB NOT NULL REFERENCES temperature_imports (id),
    at         TEXT NOT NULL,
    temp       INTEGER NOT NULL,
    PRIMARY KEY (import_id, at)
);

CREATE TABLE excursions (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    location_id      BLOB NOT NULL REFERENCES locations (id),
    import_id        BLOB NOT NULL REFERENCES temperature_imports (id),
    start_at         TEXT NOT NULL,
    end_at           TEXT NOT NULL,
    minutes          INTEGER NOT NULL,
    extreme          INTEGER NOT NULL,
    direction        TEXT NOT NULL CHECK (direction IN ('above', 'below', 'both')),
    acknowledged_by  BLOB,
    acknowledged_at  TEXT,
    comment          TEXT
);
CREATE INDEX excursions_open ON excursions (clinic_id, acknowledged_at);

CREATE TABLE excursion_lots (
    excursion_id  BLOB NOT NULL REFERENCES excursions (id),
    lot_id        BLOB NOT NULL REFERENCES lots (id),
    PRIMARY KEY (excursion_id, lot_id)
);
CREATE INDEX excursion_lots_lot ON excursion_lots (lot_id);

CREATE TABLE lot_seq (
    id   INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq  INTEGER NOT NULL
);
INSERT INTO lot_seq (id, seq) VALUES (1, 0);
