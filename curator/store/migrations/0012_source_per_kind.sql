-- A file's bytes may be read as more than one kind: `curator add FILE --kind glossary` after the file was
-- added as a document stores a new source revision of the same bytes with the new kind. One file source per
-- path, content and kind (a failed read records no kind, hence the coalesce).
DROP INDEX sources_file_once;
CREATE UNIQUE INDEX sources_file_once ON sources(uri, content_hash, coalesce(doc_kind, '')) WHERE kind = 'file';
