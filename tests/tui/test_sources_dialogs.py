"""The crawl dialog passes the options that matter (scope, max pages, delay, private addresses) to `curator
crawl`, and stays usable at 80x24."""

from __future__ import annotations

import asyncio
import sys

import pytest

from curator.tui import build_app
from curator.tui.widgets.source_dialogs import CrawlDialog

ECHO = [sys.executable, "-c", "import sys; print('args:', ' '.join(sys.argv[1:]))"]


async def _dialog(pilot, kind):
    for _ in range(300):
        if isinstance(pilot.app.screen, kind):
            return pilot.app.screen
        await pilot.pause(0.02)
    raise AssertionError(f"{kind.__name__} never opened")


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_crawl_of_an_intranet_site_with_its_options(empty_ws, open_screen, size):
    app = build_app(empty_ws, screen="sources", curator_command=ECHO)
    async with app.run_test(size=size) as pilot:
        await open_screen(pilot, "sources")
        await pilot.press("w")
        dialog = await _dialog(pilot, CrawlDialog)
        dialog.query_one("#crawl-seeds").value = "http://127.0.0.1:8080/wiki/"
        dialog.query_one("#crawl-scope").value = "prefix"
        dialog.query_one("#crawl-pages").value = "40"
        dialog.query_one("#crawl-delay").value = "0.5"
        private = dialog.query_one("#crawl-private")
        private.focus()
        await pilot.pause()
        assert dialog.query_one("#crawl-private").region.bottom <= size[1]  # scrolled into view when focused
        await pilot.press("space")
        assert private.value is True
        await pilot.press("ctrl+s")
        for _ in range(300):
            if "crawl" in app.ctx.jobs.by_stage:
                break
            await pilot.pause(0.02)
        job = app.ctx.jobs.by_stage["crawl"]
        await asyncio.wait_for(job.done.wait(), 60)
        assert "crawl http://127.0.0.1:8080/wiki/ --scope prefix" in " ".join(job.argv)
        assert ["--max-pages", "40"] == job.argv[job.argv.index("--max-pages"):job.argv.index("--max-pages") + 2]
        assert "--delay" in job.argv and "0.5" in job.argv and "--allow-private" in job.argv
        assert any("--allow-private" in line for line in job.lines)  # what the process was given, in its log
