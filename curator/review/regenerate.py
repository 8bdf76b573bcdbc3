"""Regenerate: ask the model anew for one pair or a whole chunk, and keep the answer as a preview.

Only pairs an LLM made (origin llm) and chunks that were sent to the LLM can be
regenerated; a pair made by a template (glossary, exam, import) has no request to
send again, and is refused with `NotRegenerable` before anything is sent or changed.

Each regeneration is a new request, never a cache hit: the chunk's regeneration count
goes in as the sampling seed, and the chunk's current questions go in as "questions to
avoid", so the model is asked for something else and the request's hash differs from
every earlier one. Regenerating a pair asks for one pair (it replaces that pair);
regenerating a chunk asks for up to `[extract].max_pairs_per_chunk` (they replace the
chunk's pending, unedited pairs; accepted, rejected or edited pairs are only replaced
when the reviewer picks them). The answer is stored as a preview
(curator.store.regenerations); nothing is superseded until `keep_regeneration`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from curator.errors import CuratorError
from curator.extract.checks import ExtractionCheck
from curator.extract.extractor import ANSWER_KINDS, ExtractSettings, extraction_schema
from curator.extract.guided import guided_schema
from curator.extract.prompts import TemplateChooser
from curator.llm.endpoint import open_endpoint
from curator.llm.engine import StructuredEngine, StructuredRequest
from curator.store.extract_queue import chunks_by_id
from curator.store.pairs import get_pair, live_pairs_of_chunk
from curator.store.regenerations import next_attempt, record_preview
from curator.store.runs import finish_run, start_run, update_counts
from curator.workspace import Workspace

_TEMPLATE_KINDS = {"glossary": "a glossary entry", "exam": "an exam item", "import": "an imported QA file"}


class NotRegenerable(CuratorError):
    """A pair or chunk made by a template, not by the LLM: there is no request to send again."""


@dataclass
class Preview:
    id: int                                   # the regenerations row: keep_regeneration(conn, id, ...)
    target: str                               # pair | chunk
    chunk_id: int
    pair_id: int | None
    attempt: int
    old: list[dict[str, Any]] = field(default_factory=list)         # current pairs of the chunk, `replace` marked
    candidates: list[dict[str, Any]] = field(default_factory=list)  # the new pairs (not stored as pairs yet)

    def as_dict(self) -> dict[str, Any]:
        return {"regeneration": self.id, "target": self.target, "chunk_id": self.chunk_id, "pair_id": self.pair_id,
                "attempt": self.attempt, "old": self.old, "candidates": self.candidates}


def plan(conn: Any, *, pair_id: int | None = None, chunk_id: int | None = None) -> tuple[dict[str, Any], list]:
    """The chunk to ask about and its current pairs (each marked `replace` when it is replaced by default).

    Raises NotRegenerable for template-made pairs and chunks, CuratorError for missing ones."""
    if (pair_id is None) == (chunk_id is None):
        raise ValueError("regenerate a pair or a chunk")
    if pair_id is not None:
        pair = get_pair(conn, pair_id)
        if pair is None:
            raise CuratorError(f"pair {pair_id} does not exist")
        if pair["origin"] != "llm" or pair["chunk_id"] is None:
            made = _TEMPLATE_KINDS.get(pair["origin"], f"origin {pair['origin']}")
            raise NotRegenerable(f"pair {pair_id} was made from {made} by a template, not by the LLM: there is "
                                 "nothing to regenerate, and nothing was changed. Edit it instead (e, or "
                                 "`curator pair edit`).")
        if pair["status"] == "superseded":
            raise CuratorError(f"pair {pair_id} was superseded; regenerate its replacement, or restore it first")
        chunk_id = pair["chunk_id"]
    found = chunks_by_id(conn, [chunk_id])
    if not found:
        raise CuratorError(f"there is no chunk {chunk_id}")
    chunk = found[0]
    if chunk["extract_status"] == "skipped":
        raise NotRegenerable(f"chunk {chunk_id} was made into pairs by a template (glossary, exam or QA file), not "
                             "by the LLM: there is nothing to regenerate, and nothing was changed")
    rows = live_pairs_of_chunk(conn, chunk_id)
    old = []
    for r in rows:
        if pair_id is not None:
            replace = r["id"] == pair_id
        else:  # a chunk replaces its pending pairs; decided or edited ones only by explicit choice
            replace = r["status"] == "pending" and r["revision"] == 1 and r["origin"] == "llm"
        old.append({**dict(r), "replace": replace})
    return chunk, old


def avoid_block(questions: list[str]) -> str:
    """The part of the request that makes it new: the questions the chunk already has."""
    if not questions:
        return ""
    listed = "\n".join(f"- {' '.join(q.split())}" for q in questions)
    return ("\n\nThese questions were already asked about this excerpt; write different ones, about other facts "
            f"of the excerpt if you can:\n{listed}")


def regenerate_preview(ws: Workspace, actor: str, *, pair_id: int | None = None, chunk_id: int | None = None,
                       base_url: str | None = None,
                       on_progress: Callable[[int, int], None] | None = None) -> Preview:
    """Ask the model anew and store its answer as a preview; the pairs stay as they are.

    `on_progress(done, total)` is called with (0, 1) when the request goes out and (1, 1) when
    it is answered. A failed request (invalid answer after the repair re-asks, endpoint error)
    raises CuratorError and changes no pair or chunk."""
    conn = ws.connect()
    try:
        chunk, old = plan(conn, pair_id=pair_id, chunk_id=chunk_id)
        settings = ExtractSettings.from_config(ws.config["extract"])
        chooser = TemplateChooser(ws.config["extract"].get("prompt", ""), ws.root)
        template, language = chooser.for_text(chunk["text"], chunk["language"])
        attempt = next_attempt(conn, chunk["id"])
        wanted = 1 if pair_id is not None else settings.max_pairs
        messages = template.messages(chunk=chunk["text"], title=chunk["title"] or chunk["uri"], max_pairs=wanted)
        messages[-1]["content"] += avoid_block([o["question"] for o in old])
        # The prompt asks for `wanted` pairs; a model that gives more (up to the usual limit) is not failed for
        # it: the reviewer picks (for a pair, the first is checked).
        check = ExtractionCheck(chunk["text"], max_pairs=settings.max_pairs, evidence_cutoff=settings.evidence_cutoff)
        target = "pair" if pair_id is not None else "chunk"
        # a run of its own, so the pipeline screen shows it (`regenerating: 0 / 1 chunks`) wherever it started
        run_id = start_run(conn, "regenerate", {"target": target, "chunk_id": chunk["id"], "pair_id": pair_id,
                                                "attempt": attempt, "reviewer": actor})
        tell = on_progress

        def progress(done: int, total: int) -> None:
            update_counts(conn, run_id, {"done": done, "total": total})
            if tell is not None:
                tell(done, total)
        on_progress = progress
        try:
            outcome, model = _ask(ws, conn, chunk, messages, check, settings, template, attempt, base_url,
                                  on_progress)
        except KeyboardInterrupt:
            finish_run(conn, run_id, "cancelled", counts={"done": 0, "total": 1}, error="cancelled by the user")
            raise
        except BaseException as exc:
            finish_run(conn, run_id, "failed", counts={"done": 0, "total": 1}, error=f"{type(exc).__name__}: {exc}")
            raise
        finish_run(conn, run_id, "done" if outcome.ok else "failed", counts={"done": 1, "total": 1},
                   error=None if outcome.ok else "; ".join(outcome.errors) or outcome.error_kind)
        seen = [{k: o[k] for k in ("id", "status", "revision", "replace")} for o in old]
        if not outcome.ok:
            why = "; ".join(outcome.errors) or outcome.error_kind or "no answer"
            kind = "the model's answer could not be used" if outcome.error_kind in ANSWER_KINDS else \
                "the endpoint did not answer"
            record_preview(conn, actor=actor, target=target, chunk_id=chunk["id"], pair_id=pair_id, attempt=attempt,
                           old=seen, candidates=[], llm_call_id=outcome.call_id, status="failed", error=why)
            raise CuratorError(f"regenerating {target} {pair_id or chunk['id']}: {kind} ({why}); nothing was "
                               "changed")
        candidates = []
        for item, grounding in zip(outcome.data.get("qa_pairs", []), check.groundings):
            candidates.append({
                "question": item["question"].strip(), "answer": item["answer"].strip(),
                "evidence": item["evidence"].strip(), "evidence_start": grounding.start,
                "evidence_end": grounding.end, "evidence_score": grounding.score, "llm_call_id": outcome.call_id,
                "prompt_version": template.prompt_version, "template": template.name, "model": model,
                "language": language, "meta": {"request_id": outcome.request_id, "attempt": attempt}})
        regen_id = record_preview(conn, actor=actor, target=target, chunk_id=chunk["id"], pair_id=pair_id,
                                  attempt=attempt, old=seen, candidates=candidates, llm_call_id=outcome.call_id)
        return Preview(regen_id, target, chunk["id"], pair_id, attempt, old, candidates)
    finally:
        conn.close()


def _ask(ws: Workspace, conn: Any, chunk: dict[str, Any], messages: list[dict[str, str]], check: ExtractionCheck,
         settings: ExtractSettings, template: Any, attempt: int, base_url: str | None,
         on_progress: Callable[[int, int], None]) -> tuple[Any, str]:
    """Send the one request (the seed makes it new) and wait for its checked answer: (outcome, model)."""
    with open_endpoint(ws.config["llm"], base_url=base_url, log_dir=ws.root / ".curator") as endpoint:
        schema = extraction_schema(settings.max_pairs)
        if settings.grammar_guided and endpoint.backend == "llamacpp":
            schema = guided_schema(schema, chunk["text"])
        request = StructuredRequest(
            messages=messages, schema=schema, schema_name="qa_extraction", purpose="extract",
            prompt_version=template.prompt_version, chunk_id=chunk["id"], check=check,
            repair_attempts=settings.repair_attempts, params={"seed": attempt}, repair_message=template.repair)
        on_progress(0, 1)

        async def ask() -> Any:
            async with StructuredEngine(endpoint, conn) as engine:
                return await engine.call(request)
        outcome = asyncio.run(ask())
    on_progress(1, 1)
    return outcome, endpoint.model
