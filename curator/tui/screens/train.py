"""The train screen: pick a version, a base model and a preset, launch training as a background process,
follow the loss curve and the log, see the evaluation when it is done, send low scorers to review.

Training and evaluation run as `curator train` / `curator eval` processes (never in
the UI's process: they load torch and a model). The loss curve is read from the
run's metrics.jsonl as the trainer appends to it; the evaluation from the run folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, RichLog, Select, Sparkline, Static

from curator.store.versions import list_versions
from curator.tui.keys import TRAIN_KEYS, bindings
from curator.tui.train_runs import (
    latest_run,
    list_runs,
    progress_text,
    read_loss,
    render_eval,
    run_label,
    training_argv,
)
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.tabs import ScreenTabs
from curator.tui.workers import start_work

PRESETS = ("smoke", "default", "long")


class TrainRead(Message):
    def __init__(self, what: str, value: Any) -> None:
        super().__init__()
        self.what, self.value = what, value


class TrainScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(TRAIN_KEYS)

    def __init__(self) -> None:
        super().__init__(name="train")
        self._shown_lines = 0
        self._job_stage = "train"
        self._run_dir: Path | None = None
        self._runs: list[dict[str, Any]] = []
        self._follow_newest = True  # until the reviewer picks a run, follow the newest

    @property
    def ctx(self):
        return self.app.ctx

    def compose(self) -> ComposeResult:
        train = self.ctx.ws.config.get("train", {})
        yield ScreenTabs("train")
        with Vertical(id="train-form"):
            with Horizontal():
                yield Label("run")
                yield Select([], prompt="no run yet (ctrl+t)", id="train-run")
                yield Static("", id="train-progress")
            with Horizontal():
                yield Label("version")
                yield Select([], prompt="no version yet: create one on the Versions screen (F5)", id="train-version")
            with Horizontal():
                yield Label("base model")
                yield Input(train.get("base_model") or "", placeholder="empty: the bundled Gemma 3 270M",
                            id="train-base")
            with Horizontal():
                yield Label("preset")
                yield Select([(p, p) for p in PRESETS], value=train.get("preset") or "smoke",
                             allow_blank=False, id="train-preset")
        yield Static("Loss: no run yet (ctrl+t launches one)", id="loss-title")
        yield Sparkline([], id="loss")
        yield Sparkline([], id="val-loss")
        with Horizontal(id="train-panes"):
            yield RichLog(id="train-log", wrap=True, max_lines=20_000)
            with VerticalScroll(id="eval-result"):
                yield Static("Evaluation: run ctrl+e after training to compare the model before and after.",
                             id="eval-body")
        yield CuratorFooter()

    def on_resize(self) -> None:
        """On a short terminal (24 rows) the form's fields take one row each, leaving room for the loss and log."""
        short = self.app.size.height < 30
        self.query_one("#train-form").set_class(short, "-compact")
        for widget in self.query("#train-form Select, #train-form Input"):
            if widget.compact != short:
                widget.compact = short

    def on_mount(self) -> None:
        self.set_interval(1.0, self._follow)
        self._load_versions()
        self._find_run()

    def on_screen_resume(self) -> None:
        self._load_versions()

    def _load_versions(self) -> None:
        store = self.ctx.store
        start_work(self, lambda: self.post_message(TrainRead("versions", list_versions(store.conn()))),
                   description="reading the versions", group="train-versions", exclusive=True)

    def on_train_read(self, message: TrainRead) -> None:
        if message.what == "versions":
            select = self.query_one("#train-version", Select)
            options = [(f"{v['id'][:12]}  {v['pair_count']} pairs  {v['message'][:40]}", v["id"])
                       for v in reversed(message.value)]
            current = select.value
            select.set_options(options)
            if options:
                select.value = current if any(o[1] == current for o in options) else options[0][1]
        elif message.what == "runs":
            self._show_runs(*message.value)
        elif message.what == "run":
            self._run_dir, loss, eval_view = message.value
            if self._run_dir is not None:
                self._draw_loss(loss)
                if eval_view is not None:
                    self.query_one("#eval-body", Static).update(eval_view)

    # -- following a run --------------------------------------------------------------------------------

    def _find_run(self) -> None:
        runs_root = self.ctx.ws.path("runs")

        chosen = self._chosen_run()

        def load() -> None:
            run_dir = chosen or latest_run(runs_root)
            value = ((run_dir, (read_loss(run_dir), read_loss(run_dir, key="val_loss")), render_eval(run_dir))
                     if run_dir else (None, ([], []), None))
            self.post_message(TrainRead("run", value))
        start_work(self, load, description="reading the training run", group="train-run", exclusive=True)

    def _chosen_run(self) -> Path | None:
        value = self.query_one("#train-run", Select).value
        if value is Select.NULL or self._follow_newest:
            return None
        run_dir = self.ctx.ws.path("runs") / str(value)
        return run_dir if run_dir.is_dir() else None

    def _load_runs(self) -> None:
        runs_root = self.ctx.ws.path("runs")

        def load() -> None:
            runs = list_runs(runs_root)
            self.post_message(TrainRead("runs", (runs, {r["id"]: progress_text(r["dir"]) for r in runs[:1]})))
        start_work(self, load, description="reading the runs", group="train-runs", exclusive=True)

    def _show_runs(self, runs: list[dict[str, Any]], progress: dict[str, str]) -> None:
        select = self.query_one("#train-run", Select)
        labels = [(run_label(r), r["id"]) for r in runs]
        if labels != [(run_label(r), r["id"]) for r in self._runs]:
            current = select.value
            self._runs = runs
            with self.prevent(Select.Changed):
                select.set_options(labels)
                if labels:
                    keep = current if not self._follow_newest and any(v == current for _, v in labels) else None
                    select.value = keep or labels[0][1]
        run = next((r for r in runs if r["id"] == select.value), None)
        text = ""
        if run is not None:
            text = {"running": progress.get(run["id"]) or progress_text(run["dir"]),
                    "cancelled": "cancelled", "failed": "failed: " + (run.get("error") or "see the log")}.get(
                run["status"], run["status"])
        self.query_one("#train-progress", Static).update(text)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "train-run" and event.value is not Select.NULL:
            self._follow_newest = self._runs[:1] and event.value == self._runs[0]["id"]
            self._find_run()

    def _follow(self) -> None:
        self._load_runs()
        job = self.ctx.jobs.by_stage.get(self._job_stage)
        if job is not None:
            log = self.query_one("#train-log", RichLog)
            for line in job.lines[self._shown_lines:]:
                log.write(line)
            self._shown_lines = len(job.lines)
        if (job is not None and job.state == "running") or self._run_dir is None:
            self._find_run()

    def _draw_loss(self, curves: tuple[list[tuple[int, float]], list[tuple[int, float]]]) -> None:
        loss, validation = curves
        self.query_one("#loss", Sparkline).data = [value for _, value in loss]
        self.query_one("#val-loss", Sparkline).data = [value for _, value in validation]
        name = self._run_dir.name if self._run_dir else ""
        if loss:
            first, last = loss[0][1], loss[-1][1]
            text = f"Loss of run {name}: step {loss[-1][0]}, {last:.4f} (from {first:.4f})"
            if validation:
                best = min(validation, key=lambda p: p[1])
                text += (f"; validation {validation[-1][1]:.4f} (lower line), best {best[1]:.4f} at step "
                         f"{best[0]}")
        else:
            text = f"Loss of run {name}: no step logged yet"
        self.query_one("#loss-title", Static).update(text)

    # -- actions ------------------------------------------------------------------------------------

    def _start(self, stage: str, args: list[str]) -> None:
        if self.ctx.jobs.running(stage):
            self.notify(f"{stage} is already running.", severity="warning")
            return
        argv = [*self.ctx.curator_command, "--workspace", str(self.ctx.ws.root), *args]
        self.ctx.jobs.start(self.app, stage, argv)
        self._job_stage, self._shown_lines = stage, 0
        log = self.query_one("#train-log", RichLog)
        log.clear()
        log.write(f"$ curator {' '.join(args)}")

    def action_launch(self) -> None:
        version = self.query_one("#train-version", Select).value
        if version is Select.NULL:
            self.notify("Create a version first (F5, then n).", severity="warning")
            return
        argv = training_argv(str(version), self.query_one("#train-base", Input).value.strip(),
                             str(self.query_one("#train-preset", Select).value))
        from curator.store.versions import get_version

        found = get_version(self.ctx.store.conn(), str(version)) or {}
        split = ((found.get("manifest") or {}).get("counts") or {}).get("by_split") or {}
        if split and not split.get("test"):
            from curator.tui.widgets.dialogs import ConfirmDialog

            def answered(yes: bool) -> None:
                if yes:
                    self._follow_newest = True
                    self._start("train", argv)
            self.app.push_screen(ConfirmDialog(
                "This version has no test split", f"Version {str(version)[:12]} has {split.get('train', 0)} training "
                "pairs and no test pair: training will run, but `curator eval` will have nothing to measure. Create "
                "a version with a test split first (F5, n, and a test size such as 0.2), or train anyway?"), answered)
            return
        self._follow_newest = True
        self._start("train", argv)

    def action_launch_dpo(self) -> None:
        """DPO on the chosen finished run, with the version's preference records (`curator train --method dpo`)."""
        version = self.query_one("#train-version", Select).value
        run = next((r for r in self._runs if r["id"] == self.query_one("#train-run", Select).value), None)
        if version is Select.NULL or run is None or run["status"] != "done":
            self.notify("Choose a version and a finished training run first: DPO continues that run's adapter.",
                        severity="warning")
            return
        self._follow_newest = True
        self._start("train", training_argv(str(version), "", str(self.query_one("#train-preset", Select).value),
                                           dpo_from=run["id"]))

    def action_evaluate(self) -> None:
        """Evaluate the run chosen in the run list (the newest by default)."""
        value = self.query_one("#train-run", Select).value
        run = next((r for r in self._runs if r["id"] == value), None)
        if run is None:
            self.notify("No training run to evaluate yet.", severity="warning")
            return
        if run["status"] != "done":
            self.notify(f"Run {run['id']} is {run['status']}: only a finished run can be evaluated; choose another "
                        "in the run list.", severity="warning")
            return
        self._start("eval", ["eval", run["id"]])

    def action_cancel(self) -> None:
        if not self.ctx.jobs.cancel(self._job_stage):
            self.notify("Nothing is running.", severity="warning")

    async def action_send_low(self) -> None:
        """`curator eval` flags the test pairs the fine-tuned model still gets wrong (eval_low): review them."""
        from curator.store.review_queries import ReviewFilter

        app = self.app
        await app.switch_mode("review")
        app.screen.apply_filter(ReviewFilter(status="all", eval="low"), keep_cursor=False)
        app.screen._load_counts()
