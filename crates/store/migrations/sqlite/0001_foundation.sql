-- Foundation: territory, departments, accounts, sessions, tokens, audit trail.
-- Times are BIGINT microseconds since the Unix epoch (UTC) on both backends.
-- Coordinates are BIGINT degrees × 10^7 ("E7", ~1 cm): exact and portable.
-- Never edit an applied migration; add a new one.

CREATE TABLE units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('city', 'district', 'street', 'community', 'grid')),
    parent_code TEXT REFERENCES units (code),
    boundary    TEXT,
    label_lon_e7 INTEGER,
    label_lat_e7 INTEGER,
    households  INTEGER,
    retired_at  INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE departments (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    unit_code  TEXT NOT NULL REFERENCES units (code),
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    scope_kind    TEXT NOT NULL CHECK (scope_kind IN ('none', 'unit', 'department')),
    scope_code    TEXT,
    phone         TEXT,
    password_hash TEXT,
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX users_scope ON users (scope_kind, scope_code);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at_micros   INTEGER NOT NULL,
    actor_id    INTEGER,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    unit        TEXT,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    fields      TEXT NOT NULL,
    reason      TEXT,
    request_id  TEXT,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_object ON audit_events (object_type, object_id);
CREATE INDEX audit_events_at ON audit_events (at_micros);

-- The chain's head: the last seq and hash. Appenders lock this row, which
-- serialises appends; verification compares it with the last event to
-- detect truncation of the tail.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
