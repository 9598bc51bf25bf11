-- Ask the government (网络问政): public questions to departments, their
-- public timeline, and who follows them. `asked_by` is never published.
-- Never edit an applied migration; add a new one.

CREATE TABLE questions (
    id            INTEGER PRIMARY KEY,
    department    TEXT NOT NULL REFERENCES departments (code),
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL,
    asked_by      INTEGER REFERENCES users (id),
    asked_at      INTEGER NOT NULL,
    answer_by     INTEGER NOT NULL,
    answer        TEXT,
    answered_at   INTEGER,
    answered_by   INTEGER REFERENCES users (id),
    late          INTEGER NOT NULL DEFAULT 0,
    overdue_noted INTEGER NOT NULL DEFAULT 0,
    transfers     INTEGER NOT NULL DEFAULT 0,
    followers     INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL
);
CREATE INDEX questions_asked ON questions (asked_at);
CREATE INDEX questions_department ON questions (department, asked_at);
CREATE INDEX questions_open ON questions (department, answer_by) WHERE status = 'open';
CREATE INDEX questions_asked_by ON questions (asked_by) WHERE asked_by IS NOT NULL;

CREATE TABLE question_events (
    id            INTEGER PRIMARY KEY,
    question_id   INTEGER NOT NULL REFERENCES questions (id),
    at_micros     INTEGER NOT NULL,
    action        TEXT NOT NULL,
    role          TEXT NOT NULL,
    department    TEXT,
    to_department TEXT,
    note          TEXT
);
CREATE INDEX question_events_question ON question_events (question_id, id);

CREATE TABLE question_follows (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    followed_at INTEGER NOT NULL,
    PRIMARY KEY (question_id, user_id)
);
CREATE INDEX question_follows_user ON question_follows (user_id, question_id);
