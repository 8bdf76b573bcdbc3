-- Sentence embeddings of normalized questions, kept by model and text hash: a filter
-- run embeds only the texts it has not seen with that model (adding 1,000 pairs
-- embeds those 1,000). A cache: rows may be replaced, and losing one costs only time.
CREATE TABLE embeddings (
    model      TEXT NOT NULL,            -- model name and settings that change its vectors
    text_hash  BLOB NOT NULL,            -- blake2b-128 of the normalized text
    vector     BLOB NOT NULL,            -- float16, little-endian, unit length
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID;
