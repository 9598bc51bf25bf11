-- Early warning: alerts raised by the daily scan, routed to a unit, and what
-- people did with them. Never edit an applied migration; add a new one.

CREATE TABLE alerts (
    id             INTEGER PRIMARY KEY,
    -- space_time_permutation (grassroots-warn), later: baselines, collective, repeated
    method         TEXT NOT NULL,
    -- The category group scanned; '' when all categories were scanned together.
    category_group TEXT NOT NULL,
    -- The analysis day (YYYY-MM-DD, Asia/Shanghai): the day every window ends on.
    analysis_day   TEXT NOT NULL,
    -- The grid at the centre of the cluster.
    centre_unit    TEXT NOT NULL,
    -- Routed to: the smallest unit containing every grid of the cluster.
    unit_code      TEXT NOT NULL REFERENCES units (code),
    -- open, acknowledged, acted, dismissed
    status         TEXT NOT NULL,
    -- JSON: grids, window, observed, expected, LLR, p-value, recurrence interval, radius.
    evidence       TEXT NOT NULL,
    -- JSON list of the appeal ids behind the cluster.
    appeal_ids     TEXT NOT NULL,
    -- What was done, or why it was dismissed.
    note           TEXT,
    raised_at      INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    updated_by     INTEGER REFERENCES users (id),
    -- A rerun of the same day raises nothing twice.
    UNIQUE (method, category_group, analysis_day, centre_unit)
);
CREATE INDEX alerts_unit ON alerts (unit_code, status);
CREATE INDEX alerts_day ON alerts (analysis_day);
