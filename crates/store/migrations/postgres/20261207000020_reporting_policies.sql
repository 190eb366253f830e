-- The clinic's adverse-event reporting policy per product regime
-- (ReportingPolicies as JSON text: for each legal regime the days from
-- learning of a serious event to the report, death/life-threatening and
-- other serious). Each change is a new version, numbered 1, 2, … per clinic
-- (max + 1 under the write lock, UNIQUE (clinic_id, version) as the
-- backstop); the current policy is the highest version; a clinic without
-- one uses the default (7 and 15 days for every regime). Append-only.
--
-- Indexes:
-- - reporting_policies (clinic_id, version) unique: the current policy.

CREATE TABLE reporting_policies (
    clinic_id  uuid NOT NULL REFERENCES clinics (id),
    version    bigint NOT NULL CHECK (version >= 1),
    policy     text NOT NULL,
    author_id  uuid,
    at         timestamptz NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE FUNCTION reporting_policies_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'reporting policies are never deleted or rewritten';
END;
$$;

CREATE TRIGGER reporting_policies_no_change BEFORE UPDATE OR DELETE ON reporting_policies
    FOR EACH ROW EXECUTE FUNCTION reporting_policies_keep();
CREATE TRIGGER reporting_policies_no_truncate BEFORE TRUNCATE ON reporting_policies
    FOR EACH STATEMENT EXECUTE FUNCTION reporting_policies_keep();
