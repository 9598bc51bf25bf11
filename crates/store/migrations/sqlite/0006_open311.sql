-- Open311 client applications and their API keys (hashes only). A key is
-- revoked, never deleted. Never edit an applied migration; add a new one.

CREATE TABLE open311_clients (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    key_hash   TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    created_by INTEGER REFERENCES users (id),
    revoked_at INTEGER
);
