"""The pipeline screen: the stages with their state and counts, and run / skip / cancel / run the rest.

A stage runs as a `curator ...` process (see jobs.py) whose output streams into the
log pane; a finished run keeps its log (the store's run log, and runs/logs/). Skip
records a run in state `skipped`, so "run the rest" passes over it, as the seed's
pipeline platform let users skip a task and run the rest.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, ProgressBar, RichLog, Static

from curator.errors import CuratorError
from curator.store.runs import finish_run, last_run_log, start_run
from curator.tui.keys import PIPELINE_KEYS, bindings
from curator.tui.stages import StageSpec, stage_table
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.tabs import ScreenTabs
from curator.tui.workers import start_work

STATE_STYLE = {"pending": "dim", "running": "bold yellow", "done": "bold green", "skipped": "blue",
               "failed": "bold red", "cancelled": "magenta"}


class StagesRead(Message):
    def __init__(self, table: list[dict[str, Any]]) -> None:
        super().__init__()
        self.table = table


class StageReady(Message):
    """A stage's command line is known (or why it cannot run): start it."""

    def __init__(self, stage: str, argv: list[str]) -> None:
        super().__init__()
        self.stage, self.argv = stage, argv


class RunLogRead(Message):
    def __init__(self, stage: str, text: str) -> None:
        super().__init__()
        self.stage, self.text = stage, text


class PipelineScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(PIPELINE_KEYS)

    def __init__(self) -> None:
        super().__init__(name="pipeline")
        self.table: list[dict[str, Any]] = []
        self._shown_lines = 0
        self._log_stage: str | None = None
        self._counts_read = 0.0

    @property
    def ctx(self):
        return self.app.ctx

    @property
    def specs(self) -> list[StageSpec]:
        return self.ctx.stages

    def compose(self) -> ComposeResult:
        yield ScreenTabs("pipeline")
        yield DataTable(id="stages", cursor_type="row", zebra_stripes=True)
        yield Static(id="stage-info")
        with Horizontal(id="stage-progress-row"):
            yield ProgressBar(id="stage-progress", show_eta=False)
            yield Static(id="stage-state")
        yield RichLog(id="stage-log", wrap=True, markup=False, highlight=False, max_lines=20_000)
        yield CuratorFooter()

    def on_mount(self) -> None:
        grid = self.query_one("#stages", DataTable)
        for label, width in (("stage", 10), ("state", 11), ("last run", 24), ("counts", 60)):
            grid.add_column(label, width=width, key=label)
        for spec in self.specs:
            grid.add_row(spec.label, "", "", "", key=spec.name)
        grid.focus()
        self.ctx.jobs.listeners.append(self._job_finished)
        self.set_interval(0.25, self._tick)
        self.refresh_stages()

    def on_unmount(self) -> None:
        if self._job_finished in self.ctx.jobs.listeners:
            self.ctx.jobs.listeners.remove(self._job_finished)

    def on_screen_resume(self) -> None:
        self.refresh_stages()

    # -- reading ------------------------------------------------------------------------------------

    def refresh_stages(self) -> None:
        store, specs, jobs = self.ctx.store, self.specs, self.ctx.jobs
        start_work(self, lambda: self.post_message(StagesRead(stage_table(store.conn(), specs, jobs))),
                   description="reading the stages", group="stages", exclusive=True)

    def on_stages_read(self, message: StagesRead) -> None:
        self.table = message.table
        grid = self.query_one("#stages", DataTable)
        for row in self.table:
            last = row["last_run"]
            when = f"#{last['id']} {(last['finished_at'] or last['started_at'] or '')[:16].replace('T', ' ')}" \
                if last else ""
            grid.update_cell(row["name"], "state", Text(row["state"], style=STATE_STYLE.get(row["state"], "")))
            grid.update_cell(row["name"], "last run", when)
            grid.update_cell(row["name"], "counts", row["counts"])
        self._show_selected()

    @property
    def selected(self) -> StageSpec:
        return self.specs[max(0, self.query_one("#stages", DataTable).cursor_row)]

    def state_of(self, stage: str) -> str:
        return next((r["state"] for r in self.table if r["name"] == stage), "pending")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        spec = self.selected
        row = next((r for r in self.table if r["name"] == spec.name), None)
        info = Text()
        info.append(f"{spec.label}: ", "bold")
        info.append(spec.about)
        if row and row["last_run"] and row["last_run"]["error"]:
            info.append(f"\nlast run: {row['last_run']['error']}", "red")
        self.query_one("#stage-info", Static).update(info)
        if self._log_stage != spec.name:
            self._log_stage = spec.name
            self._shown_lines = 0
            self.query_one("#stage-log", RichLog).clear()
            job = self.ctx.jobs.by_stage.get(spec.name)
            if job is None:
                self._load_last_log(spec)
        self._tick()

    def _load_last_log(self, spec: StageSpec) -> None:
        store, names = self.ctx.store, spec.recorded_as

        def load() -> None:
            row = last_run_log(store.conn(), names)
            text = f"(log of run #{row['id']})\n{row['log']}" if row else "(no run of this stage has a log yet)"
            self.post_message(RunLogRead(spec.name, text))
        start_work(self, load, description=f"reading the last log of {spec.name}", group="runlog", exclusive=True)

    def on_run_log_read(self, message: RunLogRead) -> None:
        if message.stage == self._log_stage and self.ctx.jobs.by_stage.get(message.stage) is None:
            self.query_one("#stage-log", RichLog).write(message.text)

    def _tick(self) -> None:
        """Follow the selected stage's job (new log lines, progress, elapsed time) and, while any stage
        runs, its counts in the store (chunks extracted, flags, pairs), read again every 2 s."""
        now = time.monotonic()
        regenerating = any(r.get("regenerating") for r in self.table)
        if (regenerating or any(self.ctx.jobs.running(s.name) for s in self.specs)) and now - self._counts_read > 2.0:
            self._counts_read = now
            self.refresh_stages()
        job = self.ctx.jobs.by_stage.get(self.selected.name)
        bar = self.query_one("#stage-progress", ProgressBar)
        if job is None:
            bar.update(total=100, progress=0)
            return
        row = next((r for r in self.table if r["name"] == self.selected.name), None)
        progress = row.get("progress") if row is not None and job.state == "running" else None
        state = f"{job.state}, {job.elapsed:.0f} s" + (f", {progress[2]}" if progress else "") + \
            f", {len(job.lines)} log lines"
        self.query_one("#stage-state", Static).update(f"{self.selected.label}: {state}")
        log = self.query_one("#stage-log", RichLog)
        for line in job.lines[self._shown_lines:]:
            log.write(line)
        self._shown_lines = len(job.lines)
        if job.state == "running":
            if progress and progress[1]:
                bar.update(total=progress[1], progress=progress[0])
            else:
                bar.update(total=None)
        else:
            bar.update(total=100, progress=100)

    def _job_finished(self, job: Any) -> None:
        self.notify(f"{job.stage}: {job.state} after {job.elapsed:.1f} s"
                    + (f" (log {job.log_path.name})" if job.log_path else ""),
                    severity="information" if job.state == "done" else "warning")
        self.refresh_stages()

    # -- actions ------------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        grid = self.query_one("#stages", DataTable)
        grid.move_cursor(row=max(0, min(len(self.specs) - 1, grid.cursor_row + delta)))

    async def action_run_stage(self) -> None:
        spec = self.selected
        if spec.name == "review":
            await self.app.run_action("open_screen('review')")
        elif spec.runnable:
            self.run_stage(spec)

    def run_stage(self, spec: StageSpec) -> None:
        if self.ctx.jobs.running(spec.name):
            self.notify(f"{spec.label} is already running; cancel it first (x).", severity="warning")
            return
        store, ctx = self.ctx.store, self.ctx
        start_work(self, lambda: self.post_message(StageReady(spec.name, spec.argv(ctx, store.conn()))),
                   description=f"preparing the {spec.name} stage", group="prepare", exclusive=True)

    def on_stage_ready(self, message: StageReady) -> None:
        self.ctx.jobs.start(self.app, message.stage, message.argv)
        self._log_stage = None
        self._show_selected()
        self.refresh_stages()

    def action_skip_stage(self) -> None:
        spec = self.selected
        if self.ctx.jobs.running(spec.name):
            self.notify(f"{spec.label} is running; cancel it before skipping it.", severity="warning")
            return
        store, actor = self.ctx.store, self.ctx.actor

        async def skip() -> None:
            def record(conn: Any) -> None:
                finish_run(conn, start_run(conn, spec.name, {"skipped_by": actor}), "skipped")
            await store.write(record)
            self.refresh_stages()
        start_work(self, skip, description=f"skipping the {spec.name} stage", group="skip", thread=False)

    def action_cancel_stage(self) -> None:
        spec = self.selected
        if self.ctx.jobs.cancel(spec.name):
            self.notify(f"Cancelling {spec.label}…")
        else:
            self.notify(f"{spec.label} is not running.", severity="warning")

    def action_run_rest(self) -> None:
        """Run the selected stage and every later one that is runnable and not skipped, stopping at a failure."""
        ctx, chain = self.ctx, self.specs[self.specs.index(self.selected):]

        async def run_all() -> None:
            for spec in chain:
                if not spec.runnable or self.state_of(spec.name) == "skipped":
                    continue
                argv = await asyncio.to_thread(lambda spec=spec: spec.argv(ctx, ctx.store.conn()))
                job = ctx.jobs.start(self.app, spec.name, argv)
                self.refresh_stages()
                await job.done.wait()
                if job.state != "done":
                    raise CuratorError(f"the {spec.name} stage ended {job.state}; the stages after it did not run")
        start_work(self, run_all, description="running the rest of the pipeline", group="run-rest",
                   thread=False, exclusive=True)
