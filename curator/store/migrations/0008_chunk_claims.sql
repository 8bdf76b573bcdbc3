-- Extraction leases: a run claims a chunk (committed) before it sends it, so two runs over one
-- workspace never send the same chunk. A claim lapses at `expires_at` (unix seconds; the holder
-- renews it while it works) or as soon as its run is no longer running, so a killed run's chunks
-- are taken up by the next run.
CREATE TABLE chunk_claims (
    chunk_id   INTEGER PRIMARY KEY REFERENCES chunks(id),
    run_id     INTEGER NOT NULL REFERENCES runs(id),
    expires_at REAL NOT NULL
);
CREATE INDEX chunk_claims_run ON chunk_claims(run_id);
