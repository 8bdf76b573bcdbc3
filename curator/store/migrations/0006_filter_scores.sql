-- Every measurement a filter made (a similarity, a length, a repetition share, a
-- moderation score), whether or not it crosses today's limit. Active flags are
-- derived from these under the current [filters] limits, so moving a limit
-- re-decides from here without running a filter again. A later run of the same
-- filter marks the rows it replaces current = 0; rows are never deleted.
CREATE TABLE filter_scores (
    id          INTEGER PRIMARY KEY,
    pair_id     INTEGER NOT NULL REFERENCES qa_pairs(id),
    kind        TEXT NOT NULL,            -- the flag kind this measurement can raise
    score       REAL,
    reason      TEXT,
    cluster_id  INTEGER REFERENCES clusters(id),
    details     TEXT NOT NULL DEFAULT '{}',
    current     INTEGER NOT NULL DEFAULT 1,
    run_id      INTEGER REFERENCES runs(id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX filter_scores_current ON filter_scores(current, kind, pair_id);
CREATE INDEX filter_scores_pair ON filter_scores(pair_id, current);
CREATE INDEX filter_scores_cluster ON filter_scores(cluster_id, current);
CREATE INDEX qa_pairs_held_out ON qa_pairs(held_out, status);

CREATE TRIGGER filter_scores_keep BEFORE DELETE ON filter_scores
BEGIN SELECT RAISE(ABORT, 'filter scores are never deleted: a later run marks them current = 0'); END;
