-- LLM extraction: what kind of failure a call had (invalid, refusal, rate_limit, timeout,
-- connection, server, ...), so `curator status` can count errors by kind.
ALTER TABLE llm_calls ADD COLUMN error_kind TEXT;
CREATE INDEX llm_calls_status ON llm_calls(status, error_kind);
CREATE INDEX qa_pairs_llm_call ON qa_pairs(llm_call_id);
