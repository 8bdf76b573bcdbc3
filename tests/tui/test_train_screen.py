"""The train screen: launching `curator train` as a process, following the loss, showing the evaluation,
and sending the pairs the evaluation flagged back to review."""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from curator.tui import build_app

from .conftest import SIZE, plain

# Stands in for `python -m curator`: prints the arguments it was given, as the log shows them.
ECHO = [sys.executable, "-c", "import sys; print('args:', ' '.join(sys.argv[1:]))"]


def _version(ws) -> str:
    vid = "3f9a1c0d2e4b" + "0" * 52
    conn = ws.connect()
    conn.execute("INSERT INTO versions (id, message, path, pair_count, manifest, created_at)"
                 " VALUES (?, 'first cut', 'versions/x', 12, '{}', '2026-01-02T03:04:05.000Z')", (vid,))
    conn.close()
    return vid


def _run_folder(ws, flagged: int) -> None:
    run = ws.path("runs") / "20260102-0304-ab12"
    (run / "eval").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"id": run.name, "status": "done"}))
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "loss": 3.0 - s * 0.25}) + "\n"
                                               for s in range(1, 9))
                                       + "".join(json.dumps({"step": s, "val_loss": v}) + "\n"
                                                 for s, v in ((0, 3.1), (4, 2.2), (8, 2.4))))
    report = {"run": run.name, "test_pairs": 2,
              "base": {"semscore": {"mean": 0.41}, "exact_match": 0.0, "rouge_l": 0.2},
              "fine_tuned": {"semscore": {"mean": 0.77}, "exact_match": 0.5, "rouge_l": 0.6},
              "eval_low": {"count": 1, "rule": "fine-tuned SemScore < 0.5",
                           "pairs": [{"pair_id": flagged, "score": 0.3}]}}
    (run / "eval" / "report.json").write_text(json.dumps(report))
    (run / "eval" / "answers.jsonl").write_text("".join(json.dumps(
        {"pair_id": i, "base": {"semscore": b}, "fine_tuned": {"semscore": t}}) + "\n"
        for i, b, t in ((1, 0.4, 0.9), (2, 0.42, 0.3))))


@pytest.mark.asyncio
async def test_launch_runs_curator_train_with_the_chosen_version_and_preset(review_ws, open_screen):
    vid = _version(review_ws)
    app = build_app(review_ws, screen="train", curator_command=ECHO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "train")
        for _ in range(200):
            if screen.query_one("#train-version").value == vid:
                break
            await pilot.pause(0.02)
        screen.query_one("#train-preset").value = "default"
        await pilot.press("ctrl+t")
        job = app.ctx.jobs.by_stage["train"]
        await asyncio.wait_for(job.done.wait(), 60)
        assert job.state == "done"
        assert f"train {vid} --preset default" in job.lines[0]


@pytest.mark.asyncio
async def test_loss_evaluation_and_low_scorers_back_to_review(review_ws, open_screen):
    _run_folder(review_ws, flagged=1)
    app = build_app(review_ws, screen="train")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "train")
        for _ in range(200):
            if "step 8" in str(screen.query_one("#loss-title").content):
                break
            await pilot.pause(0.02)
        assert "step 8, 1.0000 (from 2.7500)" in str(screen.query_one("#loss-title").content)
        assert screen.query_one("#loss").data == [3.0 - s * 0.25 for s in range(1, 9)]
        assert screen.query_one("#val-loss").data == [3.1, 2.2, 2.4]
        assert "best 2.2000 at step 4" in str(screen.query_one("#loss-title").content)
        shown = plain(screen.query_one("#eval-body").content)
        assert "0.4100" in shown and "0.7700" in shown and "1 test pairs flagged eval_low" in shown
        await pilot.press("ctrl+b")
        review = await open_screen(pilot, "review")
        await review.wait_settled(lambda: review.filter.eval == "low")
        conn = review_ws.connect()
        expected = [r[0] for r in conn.execute(
            "SELECT pair_id FROM flags WHERE kind = 'eval_low' AND active = 1 ORDER BY pair_id")]
        assert [int(i) for i in review.pairs.ids] == expected
        conn.close()


def _run(ws, name: str, status: str, steps: tuple[int, int] | None = None, elapsed: float = 30.0) -> None:
    run = ws.path("runs") / name
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"id": name, "status": status}))
    if steps:
        (run / "metrics.jsonl").write_text(json.dumps({"step": steps[0], "total_steps": steps[1], "loss": 2.0,
                                                       "elapsed_s": elapsed}) + "\n")


async def _wait(pilot, condition, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("never happened")


@pytest.mark.asyncio
async def test_runs_say_their_status_and_progress_and_eval_takes_the_chosen_run(review_ws, open_screen):
    import os
    import time

    _run(review_ws, "20260101-0000-done", "done", (8, 8))
    _run(review_ws, "20260102-0000-cancel", "cancelled", (3, 8))
    _run(review_ws, "20260103-0000-live", "running", (10, 40), elapsed=20.0)
    for age, name in enumerate(("20260103-0000-live", "20260102-0000-cancel", "20260101-0000-done")):
        stamp = time.time() - 100 * age
        os.utime(review_ws.path("runs") / name / "run.json", (stamp, stamp))
    app = build_app(review_ws, screen="train", curator_command=ECHO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "train")
        runs = screen.query_one("#train-run")
        await _wait(pilot, lambda: len(screen._runs) == 3)
        labels = [str(o[0]) for o in runs._options if o[1] is not runs.BLANK]
        assert any("cancel  cancelled  step 3/8" in label for label in labels)
        # the newest (running) run shows its step of total and the time left at its pace (2 s a step)
        await _wait(pilot, lambda: "step 10 / 40, ETA 01:00" in str(screen.query_one("#train-progress").content))
        await pilot.press("ctrl+e")
        assert any("only a finished run can be evaluated" in n.message for n in app._notifications)
        runs.value = "20260102-0000-cancel"
        await _wait(pilot, lambda: str(screen.query_one("#train-progress").content) == "cancelled")
        runs.value = "20260101-0000-done"
        await pilot.pause()
        await pilot.press("ctrl+e")
        job = app.ctx.jobs.by_stage["eval"]
        await asyncio.wait_for(job.done.wait(), 60)
        assert "eval 20260101-0000-done" in job.lines[0]


@pytest.mark.asyncio
async def test_training_a_version_without_a_test_split_warns_first(review_ws, open_screen):
    vid = "9" * 64
    conn = review_ws.connect()
    manifest = json.dumps({"counts": {"total": 23, "by_split": {"train": 23, "test": 0}}})
    conn.execute("INSERT INTO versions (id, message, path, pair_count, manifest) VALUES (?, 'no test', 'versions/y',"
                 " 23, ?)", (vid, manifest))
    conn.close()
    from curator.tui.widgets.dialogs import ConfirmDialog

    app = build_app(review_ws, screen="train", curator_command=ECHO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "train")
        await _wait(pilot, lambda: screen.query_one("#train-version").value == vid)
        await pilot.press("ctrl+t")
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert any("no test pair" in plain(w.content) for w in app.screen.query("Static"))
        await pilot.press("n")
        await pilot.pause()
        assert "train" not in app.ctx.jobs.by_stage       # nothing started
        await pilot.press("ctrl+t")
        await _wait(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await _wait(pilot, lambda: "train" in app.ctx.jobs.by_stage)
        await asyncio.wait_for(app.ctx.jobs.by_stage["train"].done.wait(), 60)
        assert f"train {vid}" in app.ctx.jobs.by_stage["train"].lines[0]


@pytest.mark.asyncio
async def test_dpo_on_the_chosen_finished_run(review_ws, open_screen):
    vid = _version(review_ws)
    _run_folder(review_ws, flagged=1)
    app = build_app(review_ws, screen="train", curator_command=ECHO)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "train")
        await _wait(pilot, lambda: screen.query_one("#train-version").value == vid and len(screen._runs) == 1)
        screen.query_one("#train-run").value = "20260102-0304-ab12"
        await pilot.pause()
        await pilot.press("ctrl+o")
        job = app.ctx.jobs.by_stage["train"]
        await asyncio.wait_for(job.done.wait(), 60)
        assert f"train {vid} --preset smoke --method dpo --from 20260102-0304-ab12" in job.lines[0]
