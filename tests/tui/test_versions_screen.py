"""The versions screen drives curator.versions: create with a message, diff two side by side, export, verify."""

from __future__ import annotations

import pytest

from curator.store.review_actions import decide
from curator.store.versions import list_versions
from curator.tui import build_app
from curator.tui.widgets.dialogs import TextPrompt
from curator.tui.widgets.export_dialog import ExportDialog

from .conftest import SIZE, plain


async def _result(pilot, screen, startswith: str) -> str:
    for _ in range(1500):
        title = str(screen.query_one("#result-title").content)
        if title.startswith(startswith):
            return title
        await pilot.pause(0.02)
    raise AssertionError(f"no result starting with {startswith!r}; last: {title!r}")


async def _create(pilot, screen, message: str, test_size: str | None = None) -> str:
    await pilot.press("n")
    assert isinstance(pilot.app.screen, TextPrompt)
    await pilot.press(*message, "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, TextPrompt)  # the test size, [split].test_size offered
    if test_size is not None:
        pilot.app.screen.query_one("#prompt-input").value = test_size
    await pilot.press("enter")
    return await _result(pilot, screen, "Created")


@pytest.mark.slow  # writes four version folders (parquet, datasets, manifest): about 10 s here
@pytest.mark.asyncio
async def test_create_diff_export_and_verify_from_the_keyboard(review_ws, open_screen):
    app = build_app(review_ws, screen="versions")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "versions")
        await _create(pilot, screen, "first cut")
        conn = review_ws.connect()
        pending = conn.execute("SELECT id FROM qa_pairs WHERE status = 'pending' AND origin = 'glossary'"
                               " AND id NOT IN (SELECT pair_id FROM flags WHERE active = 1) LIMIT 1").fetchone()[0]
        decide(conn, pending, "accepted", "tester")
        await _create(pilot, screen, "second cut")
        versions = list_versions(conn)
        assert [v["message"] for v in versions] == ["first cut", "second cut"]
        for _ in range(200):
            if len(screen.versions) == 2:
                break
            await pilot.pause(0.02)

        await pilot.press("space", "j", "space", "d")
        title = await _result(pilot, screen, "Diff")
        assert "1 added" in title or "added 1" in title, title
        assert f"#{pending}" in plain(screen.query_one("#right-body").content)

        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#export-format").value = "jsonl"
        await pilot.press("ctrl+s")
        await _result(pilot, screen, "Exported")
        written = list((review_ws.root / "exports").rglob("*.jsonl"))
        assert written and all(p.stat().st_size > 0 for p in written)

        await pilot.press("v")
        assert "ok" in await _result(pilot, screen, "Verify")
        conn.close()


@pytest.mark.asyncio
async def test_a_version_without_a_test_split_is_confirmed_first(review_ws, open_screen):
    from curator.tui.widgets.dialogs import ConfirmDialog

    app = build_app(review_ws, screen="versions")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "versions")
        await pilot.press("n", *"no test", "enter")
        await pilot.pause()
        pilot.app.screen.query_one("#prompt-input").value = "0"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert any("no test pair" in plain(w.content) for w in app.screen.query("Static"))
        await pilot.press("n")
        await pilot.pause()
        conn = review_ws.connect()
        assert list_versions(conn) == []
        conn.close()
