"""The sources screen: add files or folders, start a crawl, see each source's documents and the errors.

Adding and crawling run as `curator add` / `curator crawl` processes (the same jobs
as the pipeline's), their output in the log pane; the tables are read again when
they finish.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, RichLog, Static

from curator.store.app_views import source_documents, source_problems, sources_overview
from curator.tui.keys import SOURCES_KEYS, bindings
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.source_dialogs import AddFilesDialog, CrawlDialog
from curator.tui.widgets.tabs import ScreenTabs
from curator.tui.workers import start_work


class SourcesRead(Message):
    def __init__(self, what: str, key: Any, rows: list[dict[str, Any]]) -> None:
        super().__init__()
        self.what, self.key, self.rows = what, key, rows


def _short(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else "…" + text[-(width - 1):]


class SourcesScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(SOURCES_KEYS)

    def __init__(self) -> None:
        super().__init__(name="sources")
        self._sources: list[dict[str, Any]] = []
        self._job_stage: str | None = None
        self._shown_lines = 0

    @property
    def ctx(self):
        return self.app.ctx

    def compose(self) -> ComposeResult:
        yield ScreenTabs("sources")
        yield Static("Sources  (a: add files · w: crawl)", classes="section-title", id="sources-title")
        yield DataTable(id="sources-table", cursor_type="row", zebra_stripes=True)
        yield Static("Documents", classes="section-title", id="documents-title")
        yield DataTable(id="documents-table", cursor_type="row")
        yield Static("Errors (per file or URL)", classes="section-title")
        yield DataTable(id="errors-table", cursor_type="row")
        yield RichLog(id="sources-log", wrap=True, max_lines=5000)
        yield CuratorFooter()

    def on_mount(self) -> None:
        for table_id, columns in (
                ("#sources-table", (("id", 5), ("kind", 6), ("source", 62), ("as", 11), ("state", 6),
                                    ("documents", 9), ("pairs", 7))),
                ("#documents-table", (("id", 6), ("kind", 15), ("document", 62), ("lang", 5), ("chars", 8),
                                      ("chunks", 7))),
                ("#errors-table", (("when", 19), ("stage", 7), ("where", 48), ("what", 40)))):
            table = self.query_one(table_id, DataTable)
            for label, width in columns:
                table.add_column(label, width=width)
        self.query_one("#sources-log", RichLog).display = False
        self.ctx.jobs.listeners.append(self._job_finished)
        self.set_interval(0.25, self._follow_job)
        self.action_refresh()

    def on_unmount(self) -> None:
        if self._job_finished in self.ctx.jobs.listeners:
            self.ctx.jobs.listeners.remove(self._job_finished)

    # -- reading ------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        store = self.ctx.store
        start_work(self, lambda: self.post_message(SourcesRead("sources", None, sources_overview(store.conn()))),
                   description="reading the sources", group="sources", exclusive=True)
        self._load_details(None)

    def _load_details(self, source_id: int | None) -> None:
        store = self.ctx.store

        def load() -> None:
            conn = store.conn()
            if source_id is not None:
                self.post_message(SourcesRead("documents", source_id, source_documents(conn, source_id)))
            self.post_message(SourcesRead("problems", source_id, source_problems(conn, source_id)))
        start_work(self, load, description="reading the documents of a source", group="source-detail",
                   exclusive=True)

    def on_sources_read(self, message: SourcesRead) -> None:
        if message.what == "sources":
            self._sources = message.rows
            table = self.query_one("#sources-table", DataTable)
            table.clear()
            for s in message.rows:
                state = Text(s["status"], style="red" if s["status"] == "error" else "green")
                table.add_row(str(s["id"]), s["kind"], _short(s["uri"], 62), s["doc_kind"] or "", state,
                              str(s["documents"]), str(s["pairs"]), key=str(s["id"]))
            self.query_one("#sources-title", Static).update(
                f"Sources: {len(message.rows)}  (a: add files · w: crawl · ctrl+l: refresh)")
            if message.rows:
                self._load_details(message.rows[0]["id"])
        elif message.what == "documents":
            table = self.query_one("#documents-table", DataTable)
            table.clear()
            for d in message.rows:
                table.add_row(str(d["id"]), d["kind"], _short(d["title"] or d["uri"], 62), d["language"] or "",
                              str(d["chars"]), str(d["chunks"]))
            self.query_one("#documents-title", Static).update(
                f"Documents of source {message.key}: {len(message.rows)}" + (" (first 500)" if len(message.rows)
                                                                            >= 500 else ""))
        elif message.what == "problems":
            table = self.query_one("#errors-table", DataTable)
            table.clear()
            for p in message.rows:
                table.add_row((p["at"] or "")[:19].replace("T", " "), p["stage"], _short(p["location"], 48),
                              Text(p["message"], style="red"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "sources-table" and event.row_key is not None and event.row_key.value:
            self._load_details(int(event.row_key.value))

    # -- adding and crawling ----------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        table = self.query_one("#sources-table", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_add_files(self) -> None:
        self.app.push_screen(AddFilesDialog(self.ctx.ws.root), lambda args: self._start("ingest", args))

    def action_crawl(self) -> None:
        self.app.push_screen(CrawlDialog(self.ctx.ws.config.get("crawl", {})), lambda args: self._start("crawl", args))

    def _start(self, stage: str, args: list[str] | None) -> None:
        if not args:
            return
        argv = [*self.ctx.curator_command, "--workspace", str(self.ctx.ws.root), *args]
        self.ctx.jobs.start(self.app, stage, argv)
        self._job_stage, self._shown_lines = stage, 0
        log = self.query_one("#sources-log", RichLog)
        log.clear()
        log.display = True
        log.write(f"$ curator {' '.join(args)}")

    def _follow_job(self) -> None:
        job = self.ctx.jobs.by_stage.get(self._job_stage) if self._job_stage else None
        if job is None:
            return
        log = self.query_one("#sources-log", RichLog)
        for line in job.lines[self._shown_lines:]:
            log.write(line)
        self._shown_lines = len(job.lines)

    def _job_finished(self, job: Any) -> None:
        if job.stage in ("ingest", "crawl"):
            self._follow_job()
            self.query_one("#sources-log", RichLog).write(f"({job.stage} {job.state})")
            self.action_refresh()
