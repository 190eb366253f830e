-- The one throttle every check of a password passes (security.md, "One
-- throttle for every password"). A row per key: `login:<login>` (the
-- account, normalised, at most 64 characters) or `addr:<ip>` (the client
-- address). `attempts` counts attempts in the window that began at
-- `window_start`; it is raised BEFORE the password is hashed (increment then
-- check, in one statement), so a parallel burst cannot pass it. A success
-- clears the account row and takes its own attempt back from the address
-- row. `locked_until` is set when a key goes over its limit.
--
-- Bounded: every attempt first deletes the rows whose window has passed and
-- which are not locked, so the table holds only the keys seen in the last
-- window.
--
-- Indexes:
-- - password_throttle (key) primary key: the upsert of an attempt.
-- - password_throttle (window_start): the pruning.

CREATE TABLE password_throttle (
    key          TEXT NOT NULL PRIMARY KEY CHECK (length(key) <= 128),
    attempts     INTEGER NOT NULL CHECK (attempts >= 0),
    window_start TEXT NOT NULL,
    locked_until TEXT
);

CREATE INDEX password_throttle_window ON password_throttle (window_start);
