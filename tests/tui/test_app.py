"""The app as a whole: it opens on an empty and on the sample workspace, every screen opens, keys are
remappable by binding id, the command palette and help list the actions, and `curator review` without a
terminal prints a summary."""

from __future__ import annotations

import pytest

from curator.errors import ConfigError
from curator.ingest.add import add_paths
from curator.store.pairs import get_pair
from curator.tui import build_app
from curator.tui.keys import known_ids
from curator.tui.screens.help import HelpScreen

from .conftest import SIZE, plain

SCREENS = ("pipeline", "sources", "review", "versions", "train")


@pytest.mark.asyncio
async def test_opens_on_an_empty_workspace_and_every_screen_shows(empty_ws, open_screen):
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        assert review.total == 0
        assert "No pair here" in plain(review.query_one("#pair-body").content)
        for key, name in zip(("f2", "f3", "f4", "f5", "f6"), SCREENS):
            await pilot.press(key)
            screen = await open_screen(pilot, name)
            assert screen.name == name
        assert not app._notifications, [n.message for n in app._notifications]


@pytest.mark.asyncio
async def test_opens_on_the_sample_workspace_with_its_pairs(empty_ws, sample_dir, open_screen):
    conn = empty_ws.connect()
    reports = add_paths(conn, [sample_dir], kind=None, config=empty_ws.config)
    pending = conn.execute("SELECT COUNT(*) FROM qa_pairs WHERE status = 'pending'").fetchone()[0]
    assert pending > 0 and not [r for r in reports if r.status == "error"]
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        assert review.total == pending
        first = get_pair(conn, review.pairs.current_id)
        shown = plain(review.query_one("#pair-body").content)
        assert first["question"].splitlines()[0][:30] in shown
        await pilot.press("f3")
        sources = await open_screen(pilot, "sources")
        await pilot.pause()
        table = sources.query_one("#sources-table")
        for _ in range(100):
            if table.row_count:
                break
            await pilot.pause(0.02)
        assert table.row_count == conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    conn.close()


@pytest.mark.asyncio
async def test_keys_are_remapped_by_binding_id(review_ws, reviewer, open_screen):
    text = review_ws.config_path.read_text(encoding="utf-8").replace("[review.keys]\n", '[review.keys]\naccept = "y"\n')
    review_ws.config_path.write_text(text, encoding="utf-8")
    ws = reviewer(review_ws)
    app = build_app(ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        await pilot.press("a")  # no longer accept
        await review.wait_settled()
        assert get_pair(ws.connect(), pair_id)["status"] == "pending"
        await pilot.press("y")
        await review.wait_settled()
        assert get_pair(ws.connect(), pair_id)["status"] == "accepted"
        assert app.key_for("accept") == "y"


def test_an_unknown_binding_id_is_refused_with_the_list(review_ws, reviewer):
    text = review_ws.config_path.read_text(encoding="utf-8").replace("[review.keys]\n", '[review.keys]\nacept = "y"\n')
    review_ws.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown binding id acept"):
        build_app(reviewer(review_ws))


def test_binding_ids_are_unique():
    ids = known_ids()
    assert len(ids) == len(set(ids))


@pytest.mark.asyncio
async def test_help_lists_every_binding_and_the_palette_every_action(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = plain(app.screen.query_one("Static").content)
        assert all(binding_id in listed for binding_id in known_ids())
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(review)]
        for description in ("Accept", "Reject", "Edit", "Regenerate", "Undo", "Bulk accept", "Search", "Filter",
                            "Duplicates", "Pipeline", "Versions"):
            assert any(c.startswith(description + "  (") for c in commands), description


@pytest.mark.asyncio
async def test_a_palette_command_runs_its_action(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        accept = next(c for c in app.get_system_commands(review) if c.title.startswith("Accept  ("))
        await accept.callback()
        await review.wait_settled()
        assert get_pair(review_ws.connect(), pair_id)["status"] == "accepted"


def test_review_without_a_terminal_prints_the_status_report(review_ws, curator_cmd):
    result = curator_cmd("--workspace", str(review_ws.root), "review")
    assert result.returncode == 0, result.stderr
    assert "What the workspace holds" in result.stdout and "no terminal" in result.stdout
