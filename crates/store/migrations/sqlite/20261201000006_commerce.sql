-- The commercial side: the price list (versions, retirement), contracts
-- (lines as sold, coverage under the Specified Commercial Transactions Act,
-- documents kept and handed over, cancellation), payments and refunds, and
-- receipts numbered without gaps.
--
-- price_items: one row per item. Its code never changes; only the
-- bookkeeping may: current_version (one step at a time) and active (true →
-- false, once: a retired item is frozen). Never deleted. The code is unique
-- per clinic among active items (partial unique index).
-- price_item_versions: the facts of each version (PriceItemFacts as JSON
-- text) with the reason and author of a revision. Append-only.
-- contracts: one row per contract. seq is the clinic's contract number
-- (number is its text, C-000001), taken as max + 1 under the write lock,
-- with UNIQUE (clinic_id, seq) as the backstop. starts_at is the instant
-- the contract starts: midnight of starts_on in the clinic's time zone
-- when it was made; doses from then on under the plan are its sessions
-- used (derived on read, never stored). The terms never change; status,
-- cancelled_on and cancellation change once (active → cancelled, or
-- active → completed), and a contract that is no longer active is frozen.
-- Never deleted.
-- contract_lines: the price item versions sold, in order. Append-only.
-- contract_documents: the rendered PDFs (summary 概要書面, contract
-- 契約書面), one of each kind per contract, with their SHA-256. The bytes
-- never change; handed_over_by, received_on, handed_over_at and
-- handed_over_recorded_by are set once, together. Never deleted.
-- payments: money in (positive) and refunds (negative). Append-only.
-- receipts: numbered 1, 2, … per clinic (max + 1 under the write lock,
-- UNIQUE (clinic_id, number) as the backstop). Append-only: a mistake is
-- corrected by a reversal slip (reverses) or a reissue (reissue_of).
--
-- Indexes:
-- - price_items (clinic_id, code) WHERE active: code taken.
-- - contracts (clinic_id, seq) unique: the clinic's contracts, newest first.
-- - contracts (clinic_id, patient_id): a patient's contracts.
-- - contracts (plan_id): plan → contracts.
-- - contract_documents (contract_id, kind) unique.
-- - payments (contract_id, at): a contract's payments; (clinic_id, at): the
--   daily sales report.
-- - receipts (clinic_id, number) unique; (contract_id): a contract's receipts.

CREATE TABLE price_items (
    id               BLOB PRIMARY KEY NOT NULL,
    clinic_id        BLOB NOT NULL REFERENCES clinics (id),
    code             TEXT NOT NULL,
    current_version  INTEGER NOT NULL CHECK (current_version >= 1),
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_by       BLOB,
    created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX price_items_active_code ON price_items (clinic_id, code) WHERE active = 1;

CREATE TABLE price_item_versions (
    price_item_id  BLOB NOT NULL REFERENCES price_items (id),
    version        INTEGER NOT NULL CHECK (version >= 1),
    facts          TEXT NOT NULL,
    reason         TEXT,
    author_id      BLOB,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (price_item_id, version)
);

CREATE TABLE contracts (
    id            BLOB PRIMARY KEY NOT NULL,
    clinic_id     BLOB NOT NULL REFERENCES clinics (id),
    patient_id    BLOB NOT NULL REFERENCES patients (id),
    plan_id       BLOB REFERENCES plans (id),
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    number        TEXT NOT NULL,
    total         INTEGER NOT NULL,
    sessions      INTEGER NOT NULL CHECK (sessions >= 0),
    starts_on     TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    ends_on       TEXT,
    payment_plan  TEXT NOT NULL CHECK (payment_plan IN ('lump_sum', 'instalments', 'monthly')),
    covered       INTEGER NOT NULL CHECK (covered IN (0, 1)),
    coverage      TEXT NOT NULL,
    terms         TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('active', 'cancelled', 'completed')),
    cancelled_on  TEXT,
    cancellation  TEXT,
    made_by       BLOB,
    made_at       TEXT NOT NULL,
    UNIQUE (clinic_id, seq),
    UNIQUE (clinic_id, number),
    CHECK ((status = 'cancelled') = (cancelled_on IS NOT NULL)),
    CHECK ((cancelled_on IS NULL) = (cancellation IS NULL))
);
CREATE INDEX contracts_patient ON contracts (clinic_id, patient_id);
CREATE INDEX contracts_plan ON contracts (plan_id);

CREATE TABLE contract_lines (
    contract_id         BLOB NOT NULL REFERENCES contracts (id),
    ordinal             INTEGER NOT NULL,
    price_item_id       BLOB NOT NULL,
    price_item_version  INTEGER NOT NULL,
    name_ja             TEXT NOT NULL,
    quantity            INTEGER NOT NULL CHECK (quantity >= 1),
    unit_price          INTEGER NOT NULL,
    tax_rate            TEXT NOT NULL CHECK (tax_rate IN ('standard', 'reduced')),
    sessions            INTEGER NOT NULL CHECK (sessions >= 0),
    PRIMARY KEY (contract_id, ordinal),
    FOREIGN KEY (price_item_id, price_item_version) REFERENCES price_item_versions (price_item_id, version)
);

CREATE TABLE contract_documents (
    id                       BLOB PRIMARY KEY NOT NULL,
    clinic_id                BLOB NOT NULL REFERENCES clinics (id),
    contract_id              BLOB NOT NULL REFERENCES contracts (id),
    kind                     TEXT NOT NULL CHECK (kind IN ('summary', 'contract')),
    sha256                   TEXT NOT NULL,
    pdf                      BLOB NOT NULL,
    made_by                  BLOB,
    made_at                  TEXT NOT NULL,
    handed_over_by           TEXT CHECK (handed_over_by IN ('paper', 'electronic')),
    received_on              TEXT,
    handed_over_at           TEXT,
    handed_over_recorded_by  BLOB,
    UNIQUE (contract_id, kind),
    CHECK ((handed_over_by IS NULL) = (handed_over_at IS NULL)),
    CHECK ((received_on IS NULL) = (handed_over_at IS NULL)),
    CHECK (handed_over_recorded_by IS NULL OR handed_over_at IS NOT NULL)
);

CREATE TABLE payments (
    id           BLOB PRIMARY KEY NOT NULL,
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    contract_id  BLOB NOT NULL REFERENCES contracts (id),
    amount       INTEGER NOT NULL CHECK (amount <> 0),
    method       TEXT NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    note         TEXT,
    at           TEXT NOT NULL,
    recorded_by  BLOB,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX payments_contract ON payments (contract_id, at);
CREATE INDEX payments_clinic_at ON payments (clinic_id, at);

CREATE TABLE receipts (
    id           BLOB PRIMARY KEY NOT NULL,
    clinic_id    BLOB NOT NULL REFERENCES clinics (id),
    number       INTEGER NOT NULL CHECK (number >= 1),
    contract_id  BLOB REFERENCES contracts (id),
    payment_id   BLOB REFERENCES payments (id),
    lines        TEXT NOT NULL,
    tax          TEXT NOT NULL,
    total        INTEGER NOT NULL,
    reissue_of   BLOB REFERENCES receipts (id),
    reverses     BLOB REFERENCES receipts (id),
    issued_by    BLOB,
    issued_at    TEXT NOT NULL,
    UNIQUE (clinic_id, number)
);
CREATE INDEX receipts_contract ON receipts (contract_id);

CREATE TRIGGER price_items_no_delete BEFORE DELETE ON price_items
BEGIN
    SELECT RAISE(ABORT, 'price list records are never deleted');
END;
CREATE TRIGGER price_items_facts_no_change BEFORE UPDATE OF
    id, clinic_id, code, created_by, created_at
    ON price_items
BEGIN
    SELECT RAISE(ABORT, 'price list records are never rewritten');
END;
CREATE TRIGGER price_items_version_steps BEFORE UPDATE OF current_version ON price_items
    WHEN NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1)
BEGIN
    SELECT RAISE(ABORT, 'price item versions advance one at a time');
END;
CREATE TRIGGER price_items_retired_frozen BEFORE UPDATE ON price_items
    WHEN OLD.active = 0
BEGIN
    SELECT RAISE(ABORT, 'a retired price item is never rewritten');
END;
CREATE TRIGGER price_item_versions_no_change BEFORE UPDATE ON price_item_versions
BEGIN
    SELECT RAISE(ABORT, 'price list records are never rewritten');
END;
CREATE TRIGGER price_item_versions_no_delete BEFORE DELETE ON price_item_versions
BEGIN
    SELECT RAISE(ABORT, 'price list records are never deleted');
END;
CREATE TRIGGER contracts_no_delete BEFORE DELETE ON contracts
BEGIN
    SELECT RAISE(ABORT, 'contract records are never deleted');
END;
CREATE TRIGGER contracts_terms_no_change BEFORE UPDATE OF
    id, clinic_id, patient_id, plan_id, seq, number, total, sessions, starts_on, starts_at,
    ends_on, payment_plan, covered, coverage, terms, made_by, made_at
    ON contracts
BEGIN
    SELECT RAISE(ABORT, 'contract terms are never rewritten');
END;
CREATE TRIGGER contracts_ended_frozen BEFORE UPDATE ON contracts
    WHEN OLD.status <> 'active'
BEGIN
    SELECT RAISE(ABORT, 'a cancelled or completed contract is never rewritten');
END;
CREATE TRIGGER contract_lines_no_change BEFORE UPDATE ON contract_lines
BEGIN
    SELECT RAISE(ABORT, 'contract records are never rewritten');
END;
CREATE TRIGGER contract_lines_no_delete BEFORE DELETE ON contract_lines
BEGIN
    SELECT RAISE(ABORT, 'contract records are never deleted');
END;
CREATE TRIGGER contract_documents_no_delete BEFORE DELETE ON contract_documents
BEGIN
    SELECT RAISE(ABORT, 'contract documents are never deleted');
END;
CREATE TRIGGER contract_documents_bytes_no_change BEFORE UPDATE OF
    id, clinic_id, contract_id, kind, sha256, pdf, made_by, made_at
    ON contract_documents
BEGIN
    SELECT RAISE(ABORT, 'a kept contract document is never rewritten');
END;
CREATE TRIGGER contract_documents_handed_over_frozen BEFORE UPDATE ON contract_documents
    WHEN OLD.handed_over_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a handed-over contract document is never rewritten');
END;
CREATE TRIGGER payments_no_change BEFORE UPDATE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never rewritten');
END;
CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
BEGIN
    SELECT RAISE(ABORT, 'payments are never deleted');
END;
CREATE TRIGGER receipts_no_change BEFORE UPDATE ON receipts
BEGIN
    SELECT RAISE(ABORT, 'receipts are never rewritten');
END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN
    SELECT RAISE(ABORT, 'receipts are never deleted');
END;
