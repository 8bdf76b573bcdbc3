"""The versions screen: create a version with a message, list them, diff two side by side, export, verify.

Every action is a call of `curator.versions` in a thread worker (the same calls as
`curator version ...` and `curator export`); the result fills the panes below the list.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from curator.store.pairs import get_pair
from curator.store.versions import list_versions
from curator.tui.keys import VERSIONS_KEYS, bindings
from curator.tui.widgets.dialogs import ConfirmDialog, TextPrompt
from curator.tui.widgets.export_dialog import ExportDialog
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.tabs import ScreenTabs
from curator.tui.workers import start_work

DIFF_ROWS = 40


class VersionsResult(Message):
    def __init__(self, what: str, value: Any) -> None:
        super().__init__()
        self.what, self.value = what, value


class VersionsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(VERSIONS_KEYS)

    def __init__(self) -> None:
        super().__init__(name="versions")
        self.versions: list[dict[str, Any]] = []
        self.marked: list[str] = []

    @property
    def ctx(self):
        return self.app.ctx

    def compose(self) -> ComposeResult:
        yield ScreenTabs("versions")
        yield Static("Versions  (n: new · space: mark two · d: diff · x: export · v: verify)",
                     classes="section-title", id="versions-title")
        yield DataTable(id="versions-table", cursor_type="row", zebra_stripes=True)
        yield Static("", classes="section-title", id="result-title")
        with Horizontal(id="diff-panes"):
            with VerticalScroll(id="diff-left"):
                yield Static(id="left-body")
            with VerticalScroll(id="diff-right"):
                yield Static(id="right-body")
        yield CuratorFooter()

    def on_mount(self) -> None:
        table = self.query_one("#versions-table", DataTable)
        for label, width in (("", 1), ("id", 12), ("created", 19), ("pairs", 8), ("message", 50), ("parent", 12)):
            table.add_column(label, width=width)
        table.focus()
        self.action_refresh()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def _run(self, what: str, description: str, fn: Any) -> None:
        self._show("working…", Text(description + "…", style="dim"), Text(""))
        start_work(self, lambda: self.post_message(VersionsResult(what, fn())), description=description,
                   group="versions", exclusive=True)

    def action_refresh(self) -> None:
        store = self.ctx.store
        start_work(self, lambda: self.post_message(VersionsResult("list", list_versions(store.conn()))),
                   description="reading the versions", group="versions-list", exclusive=True)

    @property
    def selected(self) -> str | None:
        table = self.query_one("#versions-table", DataTable)
        if not self.versions:
            return None
        return self.versions[min(table.cursor_row, len(self.versions) - 1)]["id"]

    # -- actions ------------------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        table = self.query_one("#versions-table", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + delta)))

    def action_create(self) -> None:
        """Ask for the message, then the test size ([split].test_size offered); a test size of 0 is confirmed
        first (evaluation needs a test split), and a version that still has no test pair says so."""
        ws = self.ctx.ws

        def create(message: str, size: float) -> None:
            from curator.versions import create_version
            self._run("created", "creating a version",
                      lambda: create_version(ws, message=message.strip(), test_size=size))

        def sized(message: str, answer: str | None) -> None:
            if answer is None:
                return
            try:
                size = float(answer.strip() or ws.config["split"]["test_size"])
                if not 0 <= size < 1:
                    raise ValueError
            except ValueError:
                self.notify(f"{answer!r} is not a test size between 0 and 1 (e.g. 0.2); nothing was created.",
                            severity="error")
                return
            if size == 0:
                self.app.push_screen(ConfirmDialog(
                    "No test split?", "With test size 0 the version has no test pair: training can run, but "
                    "evaluation will have nothing to measure. Create it anyway?"),
                    lambda yes: create(message, size) if yes else None)
                return
            create(message, size)

        def asked(message: str | None) -> None:
            if message is None or not message.strip():
                return
            self.app.push_screen(TextPrompt("Test size: the share of pairs kept for evaluation",
                                            value=str(ws.config["split"]["test_size"]),
                                            hint="e.g. 0.2; whole source items go to one side · enter: create · "
                                            "escape: cancel"), lambda answer: sized(message, answer))
        self.app.push_screen(TextPrompt("New version: what is it for?", placeholder="e.g. first reviewed cut",
                                        hint="the accepted pairs are frozen into an immutable version"), asked)

    def action_mark(self) -> None:
        vid = self.selected
        if vid is None:
            return
        if vid in self.marked:
            self.marked.remove(vid)
        else:
            self.marked = (self.marked + [vid])[-2:]
        self._draw_table()

    def action_diff(self) -> None:
        if len(self.marked) == 2:
            order = [v["id"] for v in reversed(self.versions)]  # oldest first
            a, b = sorted(self.marked, key=order.index)
        else:
            b = self.selected
            parent = next((v["parent_id"] for v in self.versions if v["id"] == b), None)
            if b is None or parent is None:
                self.notify("Mark two versions with space (or pick one that has a parent).", severity="warning")
                return
            a = parent
        ws, store = self.ctx.ws, self.ctx.store

        def diff() -> dict[str, Any]:
            from curator.versions import diff_versions
            d = diff_versions(ws, a, b)
            conn = store.conn()
            changed = [(get_pair(conn, r["pair_id_a"]), get_pair(conn, r["pair_id_b"]), r["fields"])
                       for r in d.changed.head(DIFF_ROWS).to_dicts()]
            removed = [get_pair(conn, r["pair_id"]) for r in d.removed.head(DIFF_ROWS).to_dicts()]
            added = [get_pair(conn, r["pair_id"]) for r in d.added.head(DIFF_ROWS).to_dicts()]
            return {"diff": d, "changed": changed, "removed": removed, "added": added}
        self._run("diff", f"comparing {a[:12]} with {b[:12]}", diff)

    def action_export(self) -> None:
        vid = self.selected
        if vid is None:
            return
        ws = self.ctx.ws

        def export(choice: dict[str, Any] | None) -> None:
            if not choice:
                return
            from curator.versions import export_version
            self._run("exported", f"exporting {vid[:12]} as {choice['format']}",
                      lambda: export_version(ws, vid, choice["format"], out=choice["out"], split=choice["split"],
                                             context=choice["context"]))
        from curator.versions import FORMATS
        self.app.push_screen(ExportDialog(vid, list(FORMATS)), export)

    def action_verify(self) -> None:
        vid = self.selected
        if vid is None:
            return
        ws = self.ctx.ws
        from curator.versions import verify_version
        self._run("verified", f"verifying {vid[:12]}", lambda: verify_version(ws, vid))

    # -- results ------------------------------------------------------------------------------------

    def on_versions_result(self, message: VersionsResult) -> None:
        value = message.value
        if message.what == "list":
            self.versions = list(reversed(value))
            self.marked = [m for m in self.marked if any(v["id"] == m for v in self.versions)]
            self._draw_table()
        elif message.what == "created":
            verb = "Created" if value.created else "Same content as the existing version"
            test = ((value.manifest or {}).get("counts") or {}).get("by_split", {}).get("test")
            self._show(f"{verb} {value.id[:12]}: {value.pair_count} pairs", Text(str(value.path)), Text(""))
            if test == 0:
                self.notify(f"Version {value.id[:12]} has no test pair: training can run, but evaluation cannot. "
                            "n again with a larger test size (e.g. 0.2) to have one.", severity="warning",
                            timeout=12)
            self.action_refresh()
        elif message.what == "verified":
            body = Text("ok: every file and row matches its hash", style="green") if value.ok else \
                Text("\n".join(value.problems), style="red")
            self._show(f"Verify {value.id[:12]}: {'ok' if value.ok else 'PROBLEMS'} ({value.files_checked} files,"
                       f" {value.rows_checked} rows)", body, Text(""))
        elif message.what == "exported":
            files = "\n".join(f"{f.get('split', '')}: {f.get('path', '')} ({f.get('rows', '?')} rows)"
                              for f in value.files)
            skipped = f"empty splits skipped: {', '.join(value.skipped_empty)}" if value.skipped_empty else ""
            if value.files:
                self._show(f"Exported {value.version_id[:12]} as {value.format}", Text(files), Text(skipped))
            else:  # say it once, plainly: there was nothing to write
                self._show(f"Nothing exported from {value.version_id[:12]}: the chosen split is empty",
                           Text(skipped or "no file was written", style="yellow"), Text(""))
        elif message.what == "diff":
            self._show_diff(value)

    def _draw_table(self) -> None:
        table = self.query_one("#versions-table", DataTable)
        row = table.cursor_row
        table.clear()
        for v in self.versions:
            mark = str(self.marked.index(v["id"]) + 1) if v["id"] in self.marked else ""
            table.add_row(mark, v["id"][:12], (v["created_at"] or "")[:19].replace("T", " "), str(v["pair_count"]),
                          v["message"], (v["parent_id"] or "")[:12])
        if self.versions:
            table.move_cursor(row=min(row, len(self.versions) - 1))
        self.query_one("#versions-title", Static).update(
            f"Versions: {len(self.versions)}  (n: new · space: mark two · d: diff · x: export · v: verify)")
        if not self.versions:
            self._show("No version yet", Text("n freezes the accepted pairs into an immutable version.",
                                              style="dim"), Text(""))
        elif len(self.marked) == 2:
            self._show(f"Marked {self.marked[0][:12]} and {self.marked[1][:12]}: d compares them side by side",
                       Text(""), Text(""))

    def _show(self, title: str, left: Any, right: Any) -> None:
        self.query_one("#result-title", Static).update(title)
        self.query_one("#left-body", Static).update(left)
        self.query_one("#right-body", Static).update(right)

    def _show_diff(self, value: dict[str, Any]) -> None:
        d = value["diff"]
        left: list[Any] = [Text(f"{d.a[:12]} (older)", style="bold underline")]
        right: list[Any] = [Text(f"{d.b[:12]} (newer)", style="bold underline")]
        for old, new, fields in value["changed"]:
            left += [Text(), _pair_text(old, "yellow")]
            right += [Text(f"changed: {', '.join(fields)}", style="yellow"), _pair_text(new, "yellow")]
        for pair in value["removed"]:
            left += [Text(), _pair_text(pair, "red")]
            right += [Text(), Text(f"(not in this version: {_why_left(pair)})", style="dim")]
        for pair in value["added"]:
            left += [Text(), Text("(not in this version)", style="dim")]
            right += [Text(), _pair_text(pair, "green")]
        shown = f" (first {DIFF_ROWS} of each kind)" if max(d.counts["added"], d.counts["removed"],
                                                              d.counts["changed"]) > DIFF_ROWS else ""
        self._show(f"Diff: {d.summary}{shown}", Group(*left), Group(*right))


def _why_left(pair: dict[str, Any] | None) -> str:
    """Why a pair of the older version is not in the newer one, from what the store says of it now."""
    if pair is None:
        return "not in the store"
    status = pair.get("status")
    reason = f" ({pair['status_reason']})" if pair.get("status_reason") else ""
    if status == "rejected":
        return "rejected" + reason
    if status == "pending":
        return "back to pending (undone or reset), not accepted"
    if status == "superseded":
        return "superseded by an edit or a regeneration" + reason
    return f"{status}, left out by the version's filters (flags, judge score, held out)"


def _pair_text(pair: dict[str, Any] | None, style: str) -> Text:
    if pair is None:
        return Text("(pair not in the store)", style="dim")
    text = Text(f"#{pair['id']} ", style=f"bold {style}")
    text.append(f"Q {pair['question']}\n")
    text.append(f"A {pair['answer']}", style="dim")
    return text
