"""Regenerate: the pair's chunk goes back through the extraction engine (a scripted server here), the old
pair is superseded, and the new candidates are shown beside it and take its place in the list."""

from __future__ import annotations

import asyncio

import pytest

from curator.extract.stage import run_extraction
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.store.pairs import get_pair
from curator.tui import build_app
from curator.tui.screens.review_stages import RegeneratedDialog
from tests.support.scripted_llm import ScriptedLLM

from .conftest import SIZE, plain

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


@pytest.mark.asyncio
async def test_regenerate_replaces_the_pair_with_new_candidates(empty_ws, reviewer, open_screen):
    empty_ws = _speak_openai(empty_ws, reviewer)
    _one_chunk(empty_ws)
    with ScriptedLLM() as server:
        await asyncio.to_thread(run_extraction, empty_ws, base_url=server.base_url)
        app = build_app(empty_ws, llm_base_url=server.base_url)
        async with app.run_test(size=SIZE) as pilot:
            review = await open_screen(pilot)
            old_id = review.pairs.current_id
            assert old_id is not None and review._detail["chunk"] is not None
            served_before = sum(server.served.values())
            await pilot.press("g")
            for _ in range(600):
                if isinstance(app.screen, RegeneratedDialog):
                    break
                await pilot.pause(0.05)
            dialog = app.screen
            assert isinstance(dialog, RegeneratedDialog)
            assert sum(server.served.values()) > served_before  # asked again, past the cache
            conn = empty_ws.connect()
            assert get_pair(conn, old_id)["status"] == "superseded"
            new_ids = [p["id"] for p in dialog._new]
            assert new_ids and all(get_pair(conn, i)["status"] == "pending" for i in new_ids)
            before = plain(dialog.query_one("#regen-old Static").content)
            after = plain(dialog.query_one("#regen-new Static").content)
            assert f"#{old_id}" in before and all(f"#{i}" in after for i in new_ids)
            await pilot.press("escape")
            await review.wait_settled()
            assert review.pairs.current_id == new_ids[0]
            assert old_id not in [int(i) for i in review.pairs.ids]
            conn.close()


@pytest.mark.asyncio
async def test_regenerate_of_a_pair_without_a_chunk_says_so(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(origin="glossary"))
        await review.wait_settled(lambda: review.filter.origin == "glossary")
        conn = review_ws.connect()
        conn.execute("UPDATE qa_pairs SET chunk_id = NULL WHERE id = ?", (review.pairs.current_id,))
        await pilot.press("g")
        for _ in range(200):
            if any("nothing to regenerate" in n.message for n in app._notifications):
                break
            await pilot.pause(0.02)
        assert any("nothing to regenerate" in n.message for n in app._notifications)
        conn.close()
