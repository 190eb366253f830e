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
    clinic_id  BLOB NOT NULL REFERENCES clinics (id),
    version    INTEGER NOT NULL CHECK (version >= 1),
    policy     TEXT NOT NULL,
    author_id  BLOB,
    at         TEXT NOT NULL,
    UNIQUE (clinic_id, version)
);

CREATE TRIGGER reporting_policies_no_change BEFORE UPDATE ON reporting_policies
BEGIN
    SELECT RAISE(ABORT, 'reporting policies are never rewritten');
END;
CREATE TRIGGER reporting_policies_no_delete BEFORE DELETE ON reporting_policies
BEGIN
    SELECT RAISE(ABORT, 'reporting policies are never deleted');
END;
