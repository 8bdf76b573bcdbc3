"""Regenerate in the app: a new request to the model (a scripted server here), a preview beside the old pair
that changes nothing, keep (ctrl+s) or discard (escape), undo, the superseded filter and restore; template-made
pairs refused."""

from __future__ import annotations

import asyncio

import pytest

from curator.extract.stage import run_extraction
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.store.pairs import get_pair
from curator.tui import build_app
from curator.tui.screens.review_stages import RegeneratePreview
from tests.support.scripted_llm import ScriptedLLM

from .conftest import SIZE

CHUNK = ("Under FOB terms the seller clears the goods for export. Risk passes to the buyer when the goods are "
         "on board the vessel at the named port of shipment.")


def _one_chunk(ws) -> int:
    conn = ws.connect()
    with transaction(conn):
        source = add_source(conn, "file", "/corpus/fob.txt", doc_kind="transcript")
        doc = add_document(conn, source, "/corpus/fob.txt", "transcript", CHUNK, title="FOB", language="en")
        chunk = add_chunk(conn, doc, 0, CHUNK, 0, len(CHUNK), len(CHUNK) // 4, time_start=12.0, time_end=48.0)
    conn.close()
    return chunk


def _speak_openai(ws, reviewer):
    """The scripted server as an OpenAI-style endpoint (json_schema answers), as the extraction tests use it."""
    text = ws.config_path.read_text(encoding="utf-8").replace('backend = "llamacpp"', 'backend = "openai"', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    return reviewer(ws)


async def _until(pilot, condition, what: str, tries: int = 600):
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never happened: {what}")


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.asyncio
async def test_regenerate_previews_then_keep_replaces_and_undo_and_restore(empty_ws, reviewer, open_screen):
    empty_ws = _speak_openai(empty_ws, reviewer)
    _one_chunk(empty_ws)
    with ScriptedLLM() as server:
        await asyncio.to_thread(run_extraction, empty_ws, base_url=server.base_url)
        app = build_app(empty_ws, llm_base_url=server.base_url)
        async with app.run_test(size=SIZE) as pilot:
            review = await open_screen(pilot)
            old_id = review.pairs.current_id
            served_before = sum(server.served.values())
            await pilot.press("g")
            await _until(pilot, lambda: isinstance(app.screen, RegeneratePreview), "the preview dialog")
            dialog = app.screen
            assert sum(server.served.values()) == served_before + 1  # asked anew, not from the cache
            conn = empty_ws.connect()
            assert get_pair(conn, old_id)["status"] == "pending"     # nothing superseded by the preview
            count = conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0]
            old_list = dialog.query_one("#regen-replace")
            assert list(old_list.selected) == [old_id]                # the regenerated pair is replaced
            await pilot.press("ctrl+s")
            await review.wait_settled(lambda: get_pair(conn, old_id)["status"] == "superseded")
            new_id = conn.execute("SELECT MAX(id) FROM qa_pairs").fetchone()[0]
            await review.wait_settled(lambda: review.pairs.current_id == new_id)
            assert get_pair(conn, new_id)["status"] == "pending" and old_id not in review.pairs.ids.tolist()
            assert conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0] == count + 1
            actors = {r[0] for r in conn.execute("SELECT actor FROM reviews WHERE action = 'regenerate'")}
            assert actors == {"tester"}
            # undo says what it undid and puts the old pair back
            await pilot.press("u")
            await _until(pilot, lambda: any("Undid your regenerate" in m for m in _notes(app)), "the undo notice")
            await review.wait_settled(lambda: get_pair(conn, old_id)["status"] == "pending")
            assert get_pair(conn, new_id)["status"] == "superseded"
            # the superseded filter lists the new pair (undone), and o restores it
            await pilot.press("5")
            await review.wait_settled(lambda: review.filter.status == "superseded")
            assert new_id in [int(i) for i in review.pairs.ids]
            review.pairs.move_to(review.pairs.index_of(new_id))
            await review.wait_settled()
            await pilot.press("o")
            await review.wait_settled(lambda: get_pair(conn, new_id)["status"] == "pending")
            assert any("Restored pair" in m for m in _notes(app))
            conn.close()


@pytest.mark.asyncio
async def test_escape_discards_the_preview_and_changes_nothing(empty_ws, reviewer, open_screen):
    empty_ws = _speak_openai(empty_ws, reviewer)
    _one_chunk(empty_ws)
    with ScriptedLLM() as server:
        await asyncio.to_thread(run_extraction, empty_ws, base_url=server.base_url)
        app = build_app(empty_ws, llm_base_url=server.base_url)
        async with app.run_test(size=SIZE) as pilot:
            review = await open_screen(pilot)
            conn = empty_ws.connect()
            before = [tuple(r) for r in conn.execute("SELECT id, status FROM qa_pairs ORDER BY id")]
            await pilot.press("g")
            await _until(pilot, lambda: isinstance(app.screen, RegeneratePreview), "the preview dialog")
            await pilot.press("escape")
            await _until(pilot, lambda: any("Discarded" in m for m in _notes(app)), "the discard notice")
            assert [tuple(r) for r in conn.execute("SELECT id, status FROM qa_pairs ORDER BY id")] == before
            assert conn.execute("SELECT status FROM regenerations").fetchone()[0] == "discarded"
            conn.close()


@pytest.mark.asyncio
async def test_regenerate_of_a_template_pair_is_refused(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(origin="glossary"))
        await review.wait_settled(lambda: review.filter.origin == "glossary")
        conn = review_ws.connect()
        rows = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        await pilot.press("g")
        await _until(pilot, lambda: any("by a template, not by the LLM" in m for m in _notes(app)),
                     "the refusal", 200)
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == rows
        assert conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == 0
        conn.close()
