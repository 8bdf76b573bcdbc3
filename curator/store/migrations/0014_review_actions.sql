-- Review actions that must never lose a reviewer's work (issue 22).
--
-- A regeneration asks the model anew for a pair or a chunk; its candidates wait here, shown
-- beside the old pairs, until the reviewer chooses which to keep (status preview -> kept or
-- discarded). Keeping writes the new pairs and supersedes the chosen old ones in one
-- transaction whose audit rows are first_review_id..last_review_id, so one undo reverts it.
CREATE TABLE regenerations (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,            -- the reviewer who asked
    target      TEXT NOT NULL,            -- pair | chunk
    chunk_id    INTEGER NOT NULL REFERENCES chunks(id),
    pair_id     INTEGER REFERENCES qa_pairs(id),      -- the pair regenerated (target pair)
    attempt     INTEGER NOT NULL,         -- 1 for the chunk's first regeneration, then 2, ...: part of the request
    old         TEXT NOT NULL DEFAULT '[]',   -- [{"id", "status", "revision", "replace"}]: the pairs as the reviewer saw them
    candidates  TEXT NOT NULL DEFAULT '[]',   -- the model's new pairs (question, answer, evidence, spans, ...)
    llm_call_id INTEGER REFERENCES llm_calls(id),
    status      TEXT NOT NULL DEFAULT 'preview',  -- preview | kept | discarded | failed
    error       TEXT,
    kept        TEXT,                     -- the new pair ids written
    superseded  TEXT,                     -- the old pair ids superseded
    first_review_id INTEGER,
    last_review_id  INTEGER,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    decided_at  TEXT
);
CREATE INDEX regenerations_chunk ON regenerations(chunk_id);
CREATE INDEX regenerations_range ON regenerations(last_review_id);
CREATE TRIGGER regenerations_keep BEFORE DELETE ON regenerations
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;

-- "What replaced this pair": the next revision of an edited pair is found by its parent.
CREATE INDEX qa_pairs_parent ON qa_pairs(parent_id);
