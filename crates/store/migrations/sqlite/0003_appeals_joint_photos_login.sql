-- Joint handling and extension requests (workflow state of an appeal),
-- photos, and residents signing in with a code sent by SMS.
-- Never edit an applied migration; add a new one.

-- JSON list of grassroots_core::appeals::Assist.
ALTER TABLE appeals ADD COLUMN assists TEXT NOT NULL DEFAULT '[]';
-- JSON grassroots_core::appeals::ExtensionRequest while one is pending.
ALTER TABLE appeals ADD COLUMN extension TEXT;
ALTER TABLE appeals ADD COLUMN extension_days INTEGER NOT NULL DEFAULT 0;

-- Photos are kept in the database: one backup, one transaction with the
-- step that adds them, and no file path a request could steer.
CREATE TABLE appeal_photos (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL REFERENCES appeals (id),
    -- intake, on_site, reply
    purpose      TEXT NOT NULL,
    -- Decided from the bytes, never from what the client said.
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    uploaded_by  INTEGER REFERENCES users (id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX appeal_photos_appeal ON appeal_photos (appeal_id, id);

-- One-time sign-in codes for residents. Only a hash is kept.
CREATE TABLE login_codes (
    id         INTEGER PRIMARY KEY,
    phone      TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX login_codes_phone ON login_codes (phone, created_at);
