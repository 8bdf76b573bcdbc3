"""Stage runs started from the app: each is a `curator ...` process, so a stage never runs in the UI's
process (the UI never freezes, and a crash of one cannot take the other down).

A job streams its output into the log pane line by line; cancel sends SIGINT, which
every stage turns into a run recorded as cancelled (then SIGTERM, then SIGKILL if it
does not stop). When the process ends, its output is kept twice: in a file under
the workspace's runs/logs/ folder and appended to the log of the run the process
recorded in the store (found by its pid); a process that recorded no run (it failed
before starting one, or the stage is not built) gets one recorded for it, failed or
cancelled, with its output, so the pipeline shows why.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.store.runs import append_log, cancel_running, finish_run, runs_of_process, start_run
from curator.tui.workers import start_work

STOP_WAIT_S = 10.0
KEEP_LOG_CHARS = 200_000


@dataclass
class Job:
    stage: str
    argv: list[str]
    started: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    lines: list[str] = field(default_factory=list)
    state: str = "running"             # running | done | failed | cancelled
    returncode: int | None = None
    pid: int | None = None
    log_path: Path | None = None
    finished: float | None = None
    cancel_requested: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)
    _proc: Any = None

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started


class Jobs:
    """The stage processes of this app session, one at most per stage."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.by_stage: dict[str, Job] = {}
        self.listeners: list[Callable[[Job], None]] = []

    def running(self, stage: str) -> Job | None:
        job = self.by_stage.get(stage)
        return job if job is not None and job.state == "running" else None

    def start(self, app: Any, stage: str, argv: list[str]) -> Job:
        if self.running(stage):
            raise CuratorError(f"the {stage} stage is already running; cancel it first")
        job = Job(stage=stage, argv=argv)
        self.by_stage[stage] = job
        start_work(app, lambda: self._run(job), description=f"running the {stage} stage", group=f"job-{stage}",
                   thread=False)
        return job

    def cancel(self, stage: str) -> bool:
        job = self.running(stage)
        if job is None or job._proc is None:
            return False
        job.cancel_requested = True
        try:
            job._proc.send_signal(signal.SIGINT)
        except ProcessLookupError:
            pass
        return True

    async def _run(self, job: Job) -> None:
        env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "120", "PYTHONUNBUFFERED": "1"}
        try:
            proc = await asyncio.create_subprocess_exec(
                *job.argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, env=env, cwd=self.ctx.ws.root, start_new_session=True)
        except OSError as exc:
            job.lines.append(f"could not start {job.argv[0]}: {exc}")
            await self._finish(job, 127)
            raise CuratorError(f"could not start the {job.stage} stage: {exc}") from exc
        job._proc, job.pid = proc, proc.pid
        stopper = asyncio.create_task(self._escalate(job))
        try:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                job.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
            code = await proc.wait()
        finally:
            stopper.cancel()
        await self._finish(job, code)

    async def _escalate(self, job: Job) -> None:
        """After a cancel, give the stage time to record its run; then terminate, then kill."""
        while not job.cancel_requested:
            await asyncio.sleep(0.1)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                await asyncio.wait_for(asyncio.shield(job._proc.wait()), STOP_WAIT_S)
                return
            except TimeoutError:
                job.lines.append(f"(the stage did not stop; sending {sig.name})")
                try:
                    job._proc.send_signal(sig)
                except ProcessLookupError:
                    return

    async def _finish(self, job: Job, code: int) -> None:
        job.returncode = code
        job.finished = time.monotonic()
        job.state = "done" if code == 0 else "cancelled" if job.cancel_requested else "failed"
        text = "\n".join(job.lines)
        job.log_path = self._save_log(job, text)
        try:
            await self.ctx.store.write(_record, job.stage, job.pid, job.started_at, job.state,
                                       text[-KEEP_LOG_CHARS:], " ".join(job.argv[-6:]))
        finally:
            job.done.set()
            for listener in list(self.listeners):
                listener(job)

    def _save_log(self, job: Job, text: str) -> Path | None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = self.ctx.ws.path("runs") / "logs"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{job.stage}-{stamp}-{job.pid or 0}.log"
            path.write_text(f"$ {' '.join(job.argv)}\n{text}\n(exit code {job.returncode}, {job.state})\n",
                            encoding="utf-8")
            return path
        except OSError:
            return None


def _record(conn: Any, stage: str, pid: int | None, since: str, state: str, text: str, command: str) -> None:
    """Keep the output with the run the process recorded, or record a run for a process that did not."""
    run_ids = runs_of_process(conn, pid, since) if pid else []
    for run_id in run_ids:
        append_log(conn, run_id, text)
    if run_ids:
        if state == "cancelled":  # a process killed before it could say so
            cancel_running(conn, run_ids, "cancelled from the app")
        return
    run_id = start_run(conn, stage, {"command": command, "started_from": "app"})
    append_log(conn, run_id, text)
    if state == "done":
        finish_run(conn, run_id, "done")
    else:
        last = next((line for line in reversed(text.splitlines()) if line.strip()), "no output")
        finish_run(conn, run_id, state, error="cancelled from the app" if state == "cancelled" else last[:500])
