-- Mediation: organisations, dispute cases, their parties (personal data,
-- kept apart from the workflow state), mediators on each case and the
-- timeline. Never edit an applied migration; add a new one.

CREATE TABLE mediation_orgs (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    -- people, labour, medical, traffic
    kind       TEXT NOT NULL,
    unit_code  TEXT NOT NULL REFERENCES units (code),
    created_at INTEGER NOT NULL
);
CREATE INDEX mediation_orgs_unit ON mediation_orgs (unit_code);

CREATE TABLE disputes (
    id             INTEGER PRIMARY KEY,
    dispute_type   TEXT NOT NULL,
    source         TEXT NOT NULL,
    facts          TEXT NOT NULL,
    claims         TEXT NOT NULL,
    amount_fen     INTEGER,
    lon_e7         INTEGER,
    lat_e7         INTEGER,
    address        TEXT,
    -- The deepest unit of the location and its levels (jurisdiction, measures).
    unit_code      TEXT NOT NULL REFERENCES units (code),
    district_code  TEXT,
    street_code    TEXT,
    community_code TEXT,
    grid_code      TEXT,
    appeal_id      INTEGER REFERENCES appeals (id),
    court          TEXT,
    -- The organisation holding it, the one that took it first, and the
    -- level of the holder's unit (the Fengqiao measure).
    org_code       TEXT NOT NULL REFERENCES mediation_orgs (code),
    first_org_code TEXT NOT NULL REFERENCES mediation_orgs (code),
    org_level      TEXT NOT NULL,
    status         TEXT NOT NULL,
    outcome_kind   TEXT,
    -- JSON list of risk reasons; '[]' when none.
    risk           TEXT NOT NULL,
    supervised     INTEGER NOT NULL,
    -- The workflow state (grassroots_core::mediation::Dispute), JSON, no personal data.
    state          TEXT NOT NULL,
    version        INTEGER NOT NULL,
    received_at    INTEGER NOT NULL,
    accepted_at    INTEGER,
    agreed_at      INTEGER,
    closed_at      INTEGER,
    -- The time limit the background job watches (timed statuses only).
    act_by         INTEGER,
    follow_up_due  INTEGER,
    entered_by     INTEGER REFERENCES users (id)
);
CREATE INDEX disputes_act_by ON disputes (act_by) WHERE act_by IS NOT NULL;
CREATE INDEX disputes_org ON disputes (org_code, status);
CREATE INDEX disputes_district ON disputes (district_code, received_at);
CREATE INDEX disputes_street ON disputes (street_code, received_at);
CREATE INDEX disputes_community ON disputes (community_code, received_at);
CREATE INDEX disputes_received ON disputes (received_at);

-- Parties: personal data, masked when shown, every unmasked read audited.
CREATE TABLE dispute_parties (
    dispute_id INTEGER NOT NULL REFERENCES disputes (id),
    idx        INTEGER NOT NULL,
    side       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT,
    address    TEXT,
    user_id    INTEGER REFERENCES users (id),
    PRIMARY KEY (dispute_id, idx)
);
CREATE INDEX dispute_parties_user ON dispute_parties (user_id) WHERE user_id IS NOT NULL;

-- The mediators on each case now (mirrors the state, for "my cases").
CREATE TABLE dispute_mediators (
    dispute_id INTEGER NOT NULL REFERENCES disputes (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (dispute_id, user_id)
);
CREATE INDEX dispute_mediators_user ON dispute_mediators (user_id);

-- One row per accepted step. `public` steps are shown to the parties.
CREATE TABLE dispute_events (
    id         INTEGER PRIMARY KEY,
    dispute_id INTEGER NOT NULL REFERENCES disputes (id),
    at_micros  INTEGER NOT NULL,
    action     TEXT NOT NULL,
    public     INTEGER NOT NULL,
    actor_id   INTEGER,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    note       TEXT
);
CREATE INDEX dispute_events_dispute ON dispute_events (dispute_id, id);
