"""Pipeline stages from the app: run (log kept), skip (recorded, passed over by "run the rest"), cancel."""

from __future__ import annotations

import asyncio
import sys

import pytest

from curator.store.runs import get_run
from curator.tui import build_app
from curator.tui.stages import StageSpec, default_stages

from .conftest import SIZE

pytestmark = pytest.mark.asyncio

SAYS_DONE = "import sys; print('extracted 3 chunks'); sys.exit(0)"
# A stage that works until it is stopped (as a long extraction would), saying so once it started.
WORKS_UNTIL_STOPPED = "import time\nprint('filtering', flush=True)\nwhile True:\n    time.sleep(0.05)"


def _python(code: str):
    return lambda ctx, conn: [sys.executable, "-c", code]


def stages() -> list[StageSpec]:
    return [StageSpec("extract", "Extract", "prints a line and ends", _python(SAYS_DONE)),
            StageSpec("filter", "Filter", "runs until cancelled", _python(WORKS_UNTIL_STOPPED)),
            StageSpec("review", "Review", "the human stage", None),
            StageSpec("version", "Version", "prints a line and ends", _python("print('versioned')"))]


async def _finished(app, stage: str):
    await asyncio.wait_for(app.ctx.jobs.by_stage[stage].done.wait(), 60)
    return app.ctx.jobs.by_stage[stage]


def _last_run(ws, stage):
    conn = ws.connect()
    row = conn.execute("SELECT id FROM runs WHERE stage = ? ORDER BY id DESC LIMIT 1", (stage,)).fetchone()
    run = get_run(conn, row[0]) if row else None
    conn.close()
    return run


async def test_run_streams_the_log_and_keeps_it_with_the_run(review_ws, open_screen):
    app = build_app(review_ws, screen="pipeline", stages=stages())
    async with app.run_test(size=SIZE) as pilot:
        pipeline = await open_screen(pilot, "pipeline")
        await pilot.press("r")
        job = await _finished(app, "extract")
        assert job.state == "done" and "extracted 3 chunks" in job.lines
        run = _last_run(review_ws, "extract")
        assert run["status"] == "done" and "extracted 3 chunks" in run["log"]
        assert job.log_path is not None and "extracted 3 chunks" in job.log_path.read_text()
        await pilot.pause()
        pipeline.refresh_stages()
        await pilot.pause()
        for _ in range(100):
            if pipeline.state_of("extract") == "done":
                break
            await pilot.pause(0.02)
        assert pipeline.state_of("extract") == "done"


async def test_cancel_stops_the_stage_and_records_it_cancelled(review_ws, open_screen):
    app = build_app(review_ws, screen="pipeline", stages=stages())
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, "pipeline")
        await pilot.press("j", "r")
        for _ in range(400):  # until the process has started and said so
            job = app.ctx.jobs.by_stage.get("filter")
            if job is not None and "filtering" in job.lines:
                break
            await pilot.pause(0.05)
        assert app.ctx.jobs.running("filter")
        await pilot.press("x")
        job = await _finished(app, "filter")
        assert job.state == "cancelled"
        assert _last_run(review_ws, "filter")["status"] == "cancelled"


async def test_skip_is_recorded_and_run_the_rest_passes_over_it(review_ws, open_screen):
    app = build_app(review_ws, screen="pipeline", stages=stages())
    async with app.run_test(size=SIZE) as pilot:
        pipeline = await open_screen(pilot, "pipeline")
        await pilot.press("j", "s")
        for _ in range(200):
            run = _last_run(review_ws, "filter")
            if run is not None:
                break
            await pilot.pause(0.02)
        assert run["status"] == "skipped"
        pipeline.refresh_stages()
        for _ in range(200):
            if pipeline.state_of("filter") == "skipped":
                break
            await pilot.pause(0.02)
        await pilot.press("k", "ctrl+r")
        for _ in range(400):
            if "version" in app.ctx.jobs.by_stage and app.ctx.jobs.by_stage["version"].done.is_set():
                break
            await pilot.pause(0.05)
        assert app.ctx.jobs.by_stage["extract"].state == "done"
        assert "filter" not in app.ctx.jobs.by_stage
        assert app.ctx.jobs.by_stage["version"].state == "done"


async def test_a_stage_that_cannot_start_says_why(empty_ws, open_screen):
    app = build_app(empty_ws, screen="pipeline", stages=default_stages())
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, "pipeline")
        await pilot.press("r")  # ingest, with no file recorded yet
        for _ in range(200):
            if app._notifications:
                break
            await pilot.pause(0.02)
        messages = [n.message for n in app._notifications]
        assert any("no files to ingest yet" in m for m in messages), messages
        assert "ingest" not in app.ctx.jobs.by_stage


@pytest.mark.asyncio
async def test_a_regeneration_in_progress_shows_on_the_extract_row(review_ws, open_screen):
    import json
    import os

    conn = review_ws.connect()
    conn.execute("INSERT INTO runs (stage, status, config, counts, pid) VALUES ('regenerate', 'running', '{}', ?, ?)",
                 (json.dumps({"done": 0, "total": 1}), os.getpid()))
    conn.close()
    app = build_app(review_ws, screen="pipeline")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "pipeline")
        for _ in range(300):
            if screen.table:
                break
            await pilot.pause(0.02)
        extract = next(r for r in screen.table if r["name"] == "extract")
        assert "regenerating: 0 / 1 chunks" in extract["counts"]
        assert "regenerating: 0 / 1 chunks" in str(screen.query_one("#stages").get_cell("extract", "counts"))
