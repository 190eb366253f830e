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
    id               uuid PRIMARY KEY,
    clinic_id        uuid NOT NULL REFERENCES clinics (id),
    code             text NOT NULL,
    current_version  bigint NOT NULL CHECK (current_version >= 1),
    active           boolean NOT NULL,
    created_by       uuid,
    created_at       timestamptz NOT NULL
);
CREATE UNIQUE INDEX price_items_active_code ON price_items (clinic_id, code) WHERE active;

CREATE TABLE price_item_versions (
    price_item_id  uuid NOT NULL REFERENCES price_items (id),
    version        bigint NOT NULL CHECK (version >= 1),
    facts          text NOT NULL,
    reason         text,
    author_id      uuid,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (price_item_id, version)
);

CREATE TABLE contracts (
    id            uuid PRIMARY KEY,
    clinic_id     uuid NOT NULL REFERENCES clinics (id),
    patient_id    uuid NOT NULL REFERENCES patients (id),
    plan_id       uuid REFERENCES plans (id),
    seq           bigint NOT NULL CHECK (seq >= 1),
    number        text NOT NULL,
    total         bigint NOT NULL,
    sessions      bigint NOT NULL CHECK (sessions >= 0),
    starts_on     date NOT NULL,
    starts_at     timestamptz NOT NULL,
    ends_on       date,
    payment_plan  text NOT NULL CHECK (payment_plan IN ('lump_sum', 'instalments', 'monthly')),
    covered       boolean NOT NULL,
    coverage      text NOT NULL,
    terms         text NOT NULL,
    status        text NOT NULL CHECK (status IN ('active', 'cancelled', 'completed')),
    cancelled_on  date,
    cancellation  text,
    made_by       uuid,
    made_at       timestamptz NOT NULL,
    UNIQUE (clinic_id, seq),
    UNIQUE (clinic_id, number),
    CHECK ((status = 'cancelled') = (cancelled_on IS NOT NULL)),
    CHECK ((cancelled_on IS NULL) = (cancellation IS NULL))
);
CREATE INDEX contracts_patient ON contracts (clinic_id, patient_id);
CREATE INDEX contracts_plan ON contracts (plan_id);

CREATE TABLE contract_lines (
    contract_id         uuid NOT NULL REFERENCES contracts (id),
    ordinal             bigint NOT NULL,
    price_item_id       uuid NOT NULL,
    price_item_version  bigint NOT NULL,
    name_ja             text NOT NULL,
    quantity            bigint NOT NULL CHECK (quantity >= 1),
    unit_price          bigint NOT NULL,
    tax_rate            text NOT NULL CHECK (tax_rate IN ('standard', 'reduced')),
    sessions            bigint NOT NULL CHECK (sessions >= 0),
    PRIMARY KEY (contract_id, ordinal),
    FOREIGN KEY (price_item_id, price_item_version) REFERENCES price_item_versions (price_item_id, version)
);

CREATE TABLE contract_documents (
    id                       uuid PRIMARY KEY,
    clinic_id                uuid NOT NULL REFERENCES clinics (id),
    contract_id              uuid NOT NULL REFERENCES contracts (id),
    kind                     text NOT NULL CHECK (kind IN ('summary', 'contract')),
    sha256                   text NOT NULL,
    pdf                      bytea NOT NULL,
    made_by                  uuid,
    made_at                  timestamptz NOT NULL,
    handed_over_by           text CHECK (handed_over_by IN ('paper', 'electronic')),
    received_on              date,
    handed_over_at           timestamptz,
    handed_over_recorded_by  uuid,
    UNIQUE (contract_id, kind),
    CHECK ((handed_over_by IS NULL) = (handed_over_at IS NULL)),
    CHECK ((received_on IS NULL) = (handed_over_at IS NULL)),
    CHECK (handed_over_recorded_by IS NULL OR handed_over_at IS NOT NULL)
);

CREATE TABLE payments (
    id           uuid PRIMARY KEY,
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    contract_id  uuid NOT NULL REFERENCES contracts (id),
    amount       bigint NOT NULL CHECK (amount <> 0),
    method       text NOT NULL CHECK (method IN ('cash', 'card', 'transfer')),
    note         text,
    at           timestamptz NOT NULL,
    recorded_by  uuid,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX payments_contract ON payments (contract_id, at);
CREATE INDEX payments_clinic_at ON payments (clinic_id, at);

CREATE TABLE receipts (
    id           uuid PRIMARY KEY,
    clinic_id    uuid NOT NULL REFERENCES clinics (id),
    number       bigint NOT NULL CHECK (number >= 1),
    contract_id  uuid REFERENCES contracts (id),
    payment_id   uuid REFERENCES payments (id),
    lines        text NOT NULL,
    tax          text NOT NULL,
    total        bigint NOT NULL,
    reissue_of   uuid REFERENCES receipts (id),
    reverses     uuid REFERENCES receipts (id),
    issued_by    uuid,
    issued_at    timestamptz NOT NULL,
    UNIQUE (clinic_id, number)
);
CREATE INDEX receipts_contract ON receipts (contract_id);

CREATE FUNCTION commerce_records_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'commercial records are never deleted or rewritten (%)', TG_TABLE_NAME;
END;
$$;

-- Only the bookkeeping of a price item changes: the current version (one
-- step at a time) and retirement (once; a retired item is frozen).
CREATE FUNCTION price_items_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT OLD.active
       OR (NEW.id, NEW.clinic_id, NEW.code, NEW.created_by, NEW.created_at)
          IS DISTINCT FROM
          (OLD.id, OLD.clinic_id, OLD.code, OLD.created_by, OLD.created_at)
    THEN
        RAISE EXCEPTION 'price list records are never rewritten';
    END IF;
    IF NEW.current_version NOT IN (OLD.current_version, OLD.current_version + 1) THEN
        RAISE EXCEPTION 'price item versions advance one at a time';
    END IF;
    RETURN NEW;
END;
$$;

-- A contract's terms never change; its status, cancelled_on and
-- cancellation change once, while it is active.
CREATE FUNCTION contracts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'active'
       OR (NEW.id, NEW.clinic_id, NEW.patient_id, NEW.plan_id, NEW.seq, NEW.number, NEW.total,
           NEW.sessions, NEW.starts_on, NEW.starts_at, NEW.ends_on, NEW.payment_plan, NEW.covered,
           NEW.coverage, NEW.terms, NEW.made_by, NEW.made_at)
          IS DISTINCT FROM
          (OLD.id, OLD.clinic_id, OLD.patient_id, OLD.plan_id, OLD.seq, OLD.number, OLD.total,
           OLD.sessions, OLD.starts_on, OLD.starts_at, OLD.ends_on, OLD.payment_plan, OLD.covered,
           OLD.coverage, OLD.terms, OLD.made_by, OLD.made_at)
    THEN
        RAISE EXCEPTION 'contract terms are never rewritten';
    END IF;
    RETURN NEW;
END;
$$;

-- A kept document's bytes never change; its handover is recorded once.
CREATE FUNCTION contract_documents_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.handed_over_at IS NOT NULL
       OR (NEW.id, NEW.clinic_id, NEW.contract_id, NEW.kind, NEW.sha256, NEW.pdf, NEW.made_by, NEW.made_at)
          IS DISTINCT FROM
          (OLD.id, OLD.clinic_id, OLD.contract_id, OLD.kind, OLD.sha256, OLD.pdf, OLD.made_by, OLD.made_at)
    THEN
        RAISE EXCEPTION 'a kept contract document is never rewritten';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER price_items_no_delete BEFORE DELETE ON price_items
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER price_items_no_change BEFORE UPDATE ON price_items
    FOR EACH ROW EXECUTE FUNCTION price_items_guard();
CREATE TRIGGER price_item_versions_no_change BEFORE UPDATE OR DELETE ON price_item_versions
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contracts_no_delete BEFORE DELETE ON contracts
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contracts_no_change BEFORE UPDATE ON contracts
    FOR EACH ROW EXECUTE FUNCTION contracts_guard();
CREATE TRIGGER contract_lines_no_change BEFORE UPDATE OR DELETE ON contract_lines
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contract_documents_no_delete BEFORE DELETE ON contract_documents
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contract_documents_no_change BEFORE UPDATE ON contract_documents
    FOR EACH ROW EXECUTE FUNCTION contract_documents_guard();
CREATE TRIGGER payments_no_change BEFORE UPDATE OR DELETE ON payments
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER receipts_no_change BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER price_items_no_truncate BEFORE TRUNCATE ON price_items
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER price_item_versions_no_truncate BEFORE TRUNCATE ON price_item_versions
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contracts_no_truncate BEFORE TRUNCATE ON contracts
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contract_lines_no_truncate BEFORE TRUNCATE ON contract_lines
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER contract_documents_no_truncate BEFORE TRUNCATE ON contract_documents
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
    FOR EACH STATEMENT EXECUTE FUNCTION commerce_records_keep();
