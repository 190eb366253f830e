-- A password set by someone else (an administrator, the command line) must be
-- changed by its owner at first use (guideline 6.0, Q&A シQ-54).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1));
