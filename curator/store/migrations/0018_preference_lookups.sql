-- Preference records (curator/store/preferences.py) start from the review log's edits, regenerations,
-- keeper choices and rejects: with the action first, each kind is an index range instead of a scan of
-- every review row (two rows a pair at least), which keeps `version create` fast at a million pairs.
CREATE INDEX reviews_action ON reviews(action, id);
