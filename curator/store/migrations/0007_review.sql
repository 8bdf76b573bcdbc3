-- The review app. Indexes that keep a filter's id list, the footer counts and undo fast at a
-- million pairs (each is covering for the query that uses it), and the two tables undo needs.
CREATE INDEX qa_pairs_origin_status ON qa_pairs(origin, status);
CREATE INDEX qa_pairs_source_status ON qa_pairs(source_id, status);
CREATE INDEX flags_active_kind ON flags(active, kind, score, pair_id);
CREATE INDEX flags_cluster ON flags(cluster_id, active, pair_id);
CREATE INDEX reviews_actor ON reviews(actor, id);

-- A bulk decision over a filter: its audit rows are the actor's reviews with ids
-- first_review_id..last_review_id (one transaction, so nothing interleaves), and one
-- undo reverts them together.
CREATE TABLE review_batches (
    id          INTEGER PRIMARY KEY,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,            -- accept | reject
    reason      TEXT,
    filter      TEXT NOT NULL DEFAULT '',  -- the filter as the reviewer saw it
    pair_count  INTEGER NOT NULL,
    first_review_id INTEGER,
    last_review_id  INTEGER,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX review_batches_range ON review_batches(last_review_id);

-- Which decisions an undo reverted; the undo itself is a review row with action 'undo'.
CREATE TABLE review_undos (
    review_id      INTEGER PRIMARY KEY REFERENCES reviews(id),
    undo_review_id INTEGER NOT NULL REFERENCES reviews(id)
);

CREATE TRIGGER review_batches_keep BEFORE DELETE ON review_batches
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
CREATE TRIGGER review_undos_keep BEFORE DELETE ON review_undos
BEGIN SELECT RAISE(ABORT, 'the review log is append-only'); END;
