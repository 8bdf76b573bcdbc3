-- The whole flow's tables. Rows are appended or superseded, never deleted:
-- triggers below refuse DELETE on pairs, decisions, flags, calls and versions.

CREATE TABLE sources (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- file | crawl
    uri         TEXT NOT NULL,            -- absolute path or seed URL, never with credentials
    content_hash TEXT,                    -- sha256 of the file's bytes (files only)
    doc_kind    TEXT,                     -- transcript | glossary | exam | qa | document
    status      TEXT NOT NULL DEFAULT 'ok',   -- ok | error
    error       TEXT,
    meta        TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE UNIQUE INDEX sources_file_once ON sources(uri, content_hash) WHERE kind = 'file';

CREATE TABLE documents (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    uri         TEXT NOT NULL,            -- path, path#entry-N, or URL
    kind        TEXT NOT NULL,            -- transcript | glossary_entry | exam_item | html | markdown | text | pdf
    title       TEXT,
    language    TEXT,
    content     TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    meta        TEXT NOT NULL DEFAULT '{}',   -- fetch metadata (status, etag, last_modified, encoding, pages without text)
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX documents_source ON documents(source_id);
CREATE INDEX documents_hash ON documents(content_hash);

-- The same text reached at several URLs is one document with several locations.
CREATE TABLE document_locations (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    uri         TEXT NOT NULL,
    PRIMARY KEY (document_id, uri)
);

-- Transcript cues: the time of every span of a transcript's merged text.
CREATE TABLE cues (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    seq         INTEGER NOT NULL,
    char_start  INTEGER NOT NULL,
    char_end    INTEGER NOT NULL,
    time_start  REAL NOT NULL,
    time_end    REAL NOT NULL,
    speaker     TEXT,
    PRIMARY KEY (document_id, seq)
);

CREATE TABLE chunks (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    seq         INTEGER NOT NULL,
    text        TEXT NOT NULL,
    char_start  INTEGER NOT NULL,
    char_end    INTEGER NOT NULL,
    time_start  REAL,
    time_end    REAL,
    token_estimate INTEGER NOT NULL,
    extract_status TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed | skipped
    extract_error  TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    UNIQUE (document_id, seq)
);
CREATE INDEX chunks_status ON chunks(extract_status);

CREATE TABLE llm_calls (
    id          INTEGER PRIMARY KEY,
    request_hash TEXT NOT NULL,           -- sha256 of canonical (model, messages, params, schema, prompt version)
    purpose     TEXT NOT NULL,            -- extract | repair | judge | eval | bench
    model       TEXT NOT NULL,
    prompt_version TEXT,
    chunk_id    INTEGER REFERENCES chunks(id),
    request     TEXT NOT NULL,            -- JSON, never holding an API key
    response    TEXT,                     -- raw text the model returned
    request_id  TEXT,                     -- the server's id for the call
    status      TEXT NOT NULL,            -- ok | invalid | error
    error       TEXT,
    tokens_in   INTEGER,
    tokens_out  INTEGER,
    cached_tokens INTEGER,
    latency_ms  REAL,
    run_id      INTEGER REFERENCES runs(id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX llm_calls_hash ON llm_calls(request_hash);
CREATE INDEX llm_calls_chunk ON llm_calls(chunk_id);

CREATE TABLE qa_pairs (
    id          INTEGER PRIMARY KEY,
    lineage_id  TEXT NOT NULL,            -- stable across revisions: decides the split, links versions
    revision    INTEGER NOT NULL DEFAULT 1,
    parent_id   INTEGER REFERENCES qa_pairs(id),      -- the revision this one replaced
    question    TEXT NOT NULL,
    answer      TEXT NOT NULL,
    evidence    TEXT,
    evidence_start INTEGER,               -- character span of the evidence inside the chunk
    evidence_end   INTEGER,
    evidence_score REAL,                  -- fuzzy match of the quoted evidence, 0-100
    origin      TEXT NOT NULL,            -- llm | glossary | exam | import
    template    TEXT,                     -- formatter template or prompt template that made it
    prompt_version TEXT,
    model       TEXT,
    language    TEXT,
    source_id   INTEGER REFERENCES sources(id),
    document_id INTEGER REFERENCES documents(id),
    chunk_id    INTEGER REFERENCES chunks(id),
    llm_call_id INTEGER REFERENCES llm_calls(id),
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending | accepted | rejected | superseded
    status_reason TEXT,
    held_out    INTEGER NOT NULL DEFAULT 0,       -- reserved for evaluation (an exam bank held out)
    meta        TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX qa_pairs_status ON qa_pairs(status);
CREATE INDEX qa_pairs_origin ON qa_pairs(origin);
CREATE INDEX qa_pairs_chunk ON qa_pairs(chunk_id);
CREATE INDEX qa_pairs_lineage ON qa_pairs(lineage_id);

-- A duplicate cluster and its keeper; keeper_by says whether a person chose it.
CREATE TABLE clusters (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,            -- exact | near | semantic | conflict
    keeper_id   INTEGER REFERENCES qa_pairs(id),
    keeper_by   TEXT NOT NULL DEFAULT 'policy',   -- policy | human
    run_id      INTEGER REFERENCES runs(id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TABLE flags (
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES qa_pairs(id),
    kind        TEXT NOT NULL,            -- duplicate | near_duplicate | conflict | semantic_duplicate | rule | moderation | judge | contamination | eval_low
    score       REAL,
    reason      TEXT,
    cluster_id  INTEGER REFERENCES clusters(id),
    details     TEXT NOT NULL DEFAULT '{}',
    active      INTEGER NOT NULL DEFAULT 1,   -- a later run of the same filter retires earlier flags
    run_id      INTEGER REFERENCES runs(id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX flags_pair ON flags(pair_id);
CREATE INDEX flags_kind ON flags(kind, active);

-- The audit log: every human or machine decision, with who, when, before and after.
CREATE TABLE reviews (
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES qa_pairs(id),
    action      TEXT NOT NULL,            -- accept | reject | edit | regenerate | undo | keeper | checkout | reset
    actor       TEXT NOT NULL,            -- a person's name, or machine:<stage>
    before      TEXT,                     -- JSON
    after       TEXT,                     -- JSON
    reason      TEXT,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX reviews_pair ON reviews(pair_id);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    stage       TEXT NOT NULL,            -- ingest | crawl | extract | filter | version | train | eval | ...
    status      TEXT NOT NULL,            -- running | done | failed | cancelled | skipped
    config      TEXT NOT NULL DEFAULT '{}',
    counts      TEXT NOT NULL DEFAULT '{}',
    log         TEXT NOT NULL DEFAULT '',
    error       TEXT,
    pid         INTEGER,
    started_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at TEXT
);
CREATE INDEX runs_stage ON runs(stage, id);

-- Per-item problems (a file, a line, a URL, a chunk) that did not stop their run.
CREATE TABLE errors (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs(id),
    stage       TEXT NOT NULL,
    location    TEXT NOT NULL,            -- file:line:col, URL, chunk id
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX errors_stage ON errors(stage, id);

-- The crawl frontier: a killed crawl resumes from here and fetches no page twice.
CREATE TABLE crawl_frontier (
    url         TEXT PRIMARY KEY,         -- normalized
    source_id   INTEGER NOT NULL REFERENCES sources(id),
    depth       INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'queued',  -- queued | fetched | unchanged | skipped | error
    reason      TEXT,
    document_id INTEGER REFERENCES documents(id),
    etag        TEXT,
    last_modified TEXT,
    fetched_at  TEXT
);
CREATE INDEX crawl_frontier_status ON crawl_frontier(source_id, status);

CREATE TABLE versions (
    id          TEXT PRIMARY KEY,         -- hash of the content
    parent_id   TEXT REFERENCES versions(id),
    message     TEXT NOT NULL,
    path        TEXT NOT NULL,
    pair_count  INTEGER NOT NULL,
    manifest    TEXT NOT NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);

CREATE TRIGGER qa_pairs_keep BEFORE DELETE ON qa_pairs
BEGIN SELECT RAISE(ABORT, 'qa_pairs are never deleted: supersede or reject them'); END;
CREATE TRIGGER reviews_keep BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
CREATE TRIGGER reviews_frozen BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
CREATE TRIGGER flags_keep BEFORE DELETE ON flags
BEGIN SELECT RAISE(ABORT, 'flags are never deleted: retire them (active = 0)'); END;
CREATE TRIGGER llm_calls_keep BEFORE DELETE ON llm_calls
BEGIN SELECT RAISE(ABORT, 'the LLM call log is never deleted'); END;
CREATE TRIGGER versions_keep BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
CREATE TRIGGER versions_frozen BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
