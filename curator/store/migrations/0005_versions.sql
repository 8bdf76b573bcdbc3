-- Versions read each pair's latest accept or reject: with the action in the index, that lookup
-- reads no table rows, which keeps `curator version create` fast at a million pairs.
CREATE INDEX reviews_pair_action ON reviews(pair_id, action);
