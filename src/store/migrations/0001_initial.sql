-- tintype schema 1. Times are unix milliseconds; `day` is the local calendar
-- date (YYYY-MM-DD) when a call was sent, so spend groups by the user's day.
-- Money is integer micro-dollars. API keys are never stored.

-- What the user asked for: one submission of one prompt to one model.
CREATE TABLE requests (
    id              INTEGER PRIMARY KEY,
    batch_id        INTEGER,
    created_at      INTEGER NOT NULL,
    model           TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    operation       TEXT    NOT NULL,
    prompt          TEXT    NOT NULL,
    negative_prompt TEXT,
    params_json     TEXT    NOT NULL,
    seed            INTEGER,
    n               INTEGER NOT NULL CHECK (n >= 1),
    inputs_json     TEXT    NOT NULL DEFAULT '[]',
    -- sha256 of model, operation, normalized prompt, parameters, explicit seed
    -- and input files: finds an identical earlier request.
    request_hash    TEXT    NOT NULL,
    estimated_micros INTEGER NOT NULL,
    estimate_rule   TEXT    NOT NULL
);
CREATE INDEX requests_by_hash ON requests (request_hash);
CREATE INDEX requests_by_batch ON requests (batch_id) WHERE batch_id IS NOT NULL;

-- Full-text search over prompts; rowid = requests.id, so newest first is
-- rowid descending, which FTS5 answers without sorting.
CREATE VIRTUAL TABLE requests_fts USING fts5 (
    prompt, negative_prompt,
    content = 'requests', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER requests_fts_insert AFTER INSERT ON requests BEGIN
    INSERT INTO requests_fts (rowid, prompt, negative_prompt)
    VALUES (new.id, new.prompt, new.negative_prompt);
END;
CREATE TRIGGER requests_fts_delete AFTER DELETE ON requests BEGIN
    INSERT INTO requests_fts (requests_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.id, old.prompt, old.negative_prompt);
END;
CREATE TRIGGER requests_fts_update AFTER UPDATE OF prompt, negative_prompt ON requests BEGIN
    INSERT INTO requests_fts (requests_fts, rowid, prompt, negative_prompt)
    VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    INSERT INTO requests_fts (rowid, prompt, negative_prompt)
    VALUES (new.id, new.prompt, new.negative_prompt);
END;

-- One provider call. A request for more images than one call makes has
-- several jobs (call_index 0, 1, ...).
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    call_index    INTEGER NOT NULL,
    n             INTEGER NOT NULL CHECK (n >= 1),
    state         TEXT    NOT NULL CHECK (state IN
                    ('queued', 'submitted', 'running', 'succeeded', 'failed', 'canceled', 'interrupted')),
    remote_id     TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_class   TEXT,
    error_message TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    UNIQUE (request_id, call_index)
);
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'submitted', 'running');

CREATE TABLE images (
    id             INTEGER PRIMARY KEY,
    job_id         INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    request_id     INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    path           TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    format         TEXT    NOT NULL,
    seed           INTEGER,
    revised_prompt TEXT,
    mark           TEXT    NOT NULL DEFAULT 'none' CHECK (mark IN ('none', 'keep', 'reject')),
    starred        INTEGER NOT NULL DEFAULT 0 CHECK (starred IN (0, 1)),
    rating         INTEGER CHECK (rating BETWEEN 1 AND 5),
    created_at     INTEGER NOT NULL
);
CREATE INDEX images_by_request ON images (request_id, idx);
CREATE INDEX images_by_job ON images (job_id);

-- The spend ledger: one row per call that left for the provider, written
-- when it is sent (the estimate) and completed when it ends (the actual).
CREATE TABLE costs (
    job_id           INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    request_id       INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    created_at       INTEGER NOT NULL,
    day              TEXT    NOT NULL,
    provider         TEXT    NOT NULL,
    model            TEXT    NOT NULL,
    images           INTEGER NOT NULL DEFAULT 0,
    estimated_micros INTEGER NOT NULL,
    estimate_rule    TEXT    NOT NULL,
    actual_micros    INTEGER,
    actual_basis     TEXT
);
-- Covering indexes: each `tintype cost --by X` reads one index in X order,
-- never the table, and never sorts.
CREATE INDEX costs_by_day ON costs (day, images, estimated_micros, actual_micros);
CREATE INDEX costs_by_model ON costs (model, day, images, estimated_micros, actual_micros);
CREATE INDEX costs_by_provider ON costs (provider, day, images, estimated_micros, actual_micros);
CREATE INDEX costs_by_request ON costs (request_id);

CREATE TABLE preset_uses (
    id         INTEGER PRIMARY KEY,
    preset     TEXT    NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    used_at    INTEGER NOT NULL
);
CREATE INDEX preset_uses_by_preset ON preset_uses (preset, used_at);
