-- Resident appeals: the case record, its timeline, staff notifications,
-- the outbox of messages to residents, and return-visit tasks.
-- Never edit an applied migration; add a new one.

CREATE TABLE appeals (
    id              INTEGER PRIMARY KEY,
    tracking_code   TEXT NOT NULL UNIQUE,
    -- "<who>:<client key>": a retried submission finds the first one.
    idempotency_key TEXT UNIQUE,
    -- SHA-256 of the submission: the same key with another body is refused.
    idempotency_hash TEXT,
    category        TEXT NOT NULL,
    category_group  TEXT NOT NULL,
    description     TEXT NOT NULL,
    lon_e7          INTEGER,
    lat_e7          INTEGER,
    address         TEXT,
    -- The deepest unit of the location and its levels, for jurisdiction
    -- and for measures by unit without walking the tree.
    unit_code       TEXT REFERENCES units (code),
    district_code   TEXT,
    street_code     TEXT,
    community_code  TEXT,
    grid_code       TEXT,
    contact_name    TEXT,
    contact_phone   TEXT,
    publish         INTEGER NOT NULL,
    urgency         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    requester_id    INTEGER REFERENCES users (id),
    entered_by      INTEGER REFERENCES users (id),
    -- The time limit fixed at intake (JSON): taxonomy edits apply to new cases only.
    time_limit      TEXT NOT NULL,
    route_rule      TEXT,
    -- Workflow state (grassroots_core::appeals::Appeal).
    status          TEXT NOT NULL,
    handler_kind    TEXT,
    handler_code    TEXT,
    handler_level   TEXT,
    first_handler_kind TEXT,
    first_handler_code TEXT,
    returns         TEXT NOT NULL,
    returns_count   INTEGER NOT NULL,
    passed_around   INTEGER NOT NULL,
    reopened        INTEGER NOT NULL,
    escalations     INTEGER NOT NULL,
    supervised      INTEGER NOT NULL,
    outcome         TEXT,
    outcome_kind    TEXT,
    merged_into     INTEGER REFERENCES appeals (id),
    requesters      INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    -- Clocks (µs UTC). sign_due and reply_due are the original deadlines
    -- the measures use; act_by is what the background job watches.
    received_at     INTEGER NOT NULL,
    sign_due        INTEGER NOT NULL,
    reply_due       INTEGER NOT NULL,
    status_at       INTEGER NOT NULL,
    clock_from      INTEGER NOT NULL,
    act_by          INTEGER,
    signed_at       INTEGER,
    replied_at      INTEGER,
    reply_text      TEXT,
    closed_at       INTEGER,
    rated_resolved  INTEGER,
    rated_satisfaction TEXT,
    rating_comment  TEXT
);
CREATE INDEX appeals_act_by ON appeals (act_by) WHERE act_by IS NOT NULL;
CREATE INDEX appeals_handler ON appeals (handler_kind, handler_code, status);
CREATE INDEX appeals_district ON appeals (district_code, received_at);
CREATE INDEX appeals_street ON appeals (street_code, received_at);
CREATE INDEX appeals_community ON appeals (community_code, received_at);
CREATE INDEX appeals_grid ON appeals (grid_code, received_at);
CREATE INDEX appeals_received ON appeals (received_at);
CREATE INDEX appeals_requester ON appeals (requester_id);
CREATE INDEX appeals_nearby ON appeals (category, status, received_at);

-- One row per accepted workflow step (the timeline). `public` steps are
-- shown to the resident, with the actor masked to a role.
CREATE TABLE appeal_events (
    id           INTEGER PRIMARY KEY,
    appeal_id    INTEGER NOT NULL REFERENCES appeals (id),
    at_micros    INTEGER NOT NULL,
    action       TEXT NOT NULL,
    public       INTEGER NOT NULL,
    actor_id     INTEGER,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    unit         TEXT,
    handler_kind TEXT,
    handler_code TEXT,
    note         TEXT
);
CREATE INDEX appeal_events_appeal ON appeal_events (appeal_id, id);

-- In-app notifications for staff, addressed to a unit or a department.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    target_kind TEXT NOT NULL,
    target_code TEXT NOT NULL,
    appeal_id   INTEGER REFERENCES appeals (id),
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_target ON notifications (target_kind, target_code, id);

-- Messages to the outside world (SMS). Written in the transaction of the
-- step that causes them; a sender claims, delivers and marks each one.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    -- Unique per cause and destination: a step never queues a message twice.
    dedupe_key      TEXT NOT NULL UNIQUE,
    channel         TEXT NOT NULL,
    destination     TEXT NOT NULL,
    template        TEXT NOT NULL,
    params          TEXT NOT NULL,
    appeal_id       INTEGER REFERENCES appeals (id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Work for people that is not an appeal step: return visits (回访).
CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    unit_code   TEXT NOT NULL,
    appeal_id   INTEGER REFERENCES appeals (id),
    created_at  INTEGER NOT NULL,
    done_at     INTEGER,
    note        TEXT,
    UNIQUE (kind, appeal_id)
);
CREATE INDEX tasks_unit ON tasks (unit_code, done_at);
