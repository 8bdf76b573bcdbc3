-- The crawl frontier keeps the URL spelling to request beside its normalized key
-- (a trailing slash matters to relative links), the last HTTP status, and the run
-- that last handled the row, so `curator crawl` can report what one run did.
ALTER TABLE crawl_frontier ADD COLUMN fetch_url TEXT;
ALTER TABLE crawl_frontier ADD COLUMN http_status INTEGER;
ALTER TABLE crawl_frontier ADD COLUMN run_id INTEGER REFERENCES runs(id);
CREATE INDEX crawl_frontier_document ON crawl_frontier(document_id);
CREATE INDEX sources_crawl_uri ON sources(uri) WHERE kind = 'crawl';
