"""The review screen: a list of pairs that scales to a million, the detail of one, and keyboard decisions.

Every decision is sent to the store's writer at once (in key order) and drawn at
once too, before the commit returns; reads (the filter's ids, the visible rows, the
detail) run in thread workers and come back as messages. `wait_settled` lets tests
and the benchmark wait until what is drawn is what the store holds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import numpy as np
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from curator.store import review_actions as actions
from curator.store import review_queries as queries
from curator.store.connection import data_version
from curator.store.review_queries import ReviewFilter
from curator.tui.keys import REVIEW_KEYS, bindings
from curator.tui.screens.review_keys import ReviewKeyActions
from curator.tui.screens.review_messages import Loaded, Written
from curator.tui.widgets.filter_dialog import FilterDialog
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.pair_detail import PairDetail, SourcePane
from curator.tui.widgets.pair_list import PairList
from curator.tui.widgets.tabs import ScreenTabs
from curator.tui.workers import cancelled, start_work


class ReviewScreen(ReviewKeyActions, Screen):
    BINDINGS: ClassVar[list[BindingType]] = bindings(REVIEW_KEYS)

    def __init__(self, *, initial_filter: ReviewFilter | None = None) -> None:
        super().__init__(name="review")
        self.filter = initial_filter or ReviewFilter()
        self.counts: dict[str, int] = {}
        self.session: dict[str, int] = {"accepted": 0, "rejected": 0, "edited": 0, "undone": 0, "regenerated": 0,
                                        "restored": 0}
        self._keep_cursor = True
        self._progress: str | None = None
        self._data_version: int | None = None
        self._ids_for: ReviewFilter | None = None
        self._detail: dict[str, Any] | None = None
        self._writes = 0
        self._waiters: list[asyncio.Future] = []
        self._prefetched: dict[int, dict[str, Any]] = {}
        self.order = "id"  # or "uncertain": pairs where the machines' signals disagree first (U)
        self.calibration: Any = None  # the last judge-vs-reviewers report the panel shows (J)
        self.doubts: dict[int, Any] = {}  # pair id -> its Doubt (why it is uncertain), in the uncertain order

    @property
    def ctx(self):
        return self.app.ctx

    @property
    def pairs(self) -> PairList:
        return self.query_one(PairList)

    @property
    def total(self) -> int:
        return len(self.pairs.ids)

    def compose(self) -> ComposeResult:
        yield ScreenTabs("review")
        yield Static(id="review-bar")
        yield PairList(id="pairs")
        with Horizontal(id="review-detail"):
            yield PairDetail(id="detail")
            yield SourcePane(id="source")
            yield Static(id="calibration")  # the judge against the reviewers (J), beside the pair while reviewing
        yield Input(placeholder="search questions and answers; enter applies, escape closes", id="search")
        yield Static(id="review-counts")
        yield CuratorFooter()

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        panel = self.query_one("#calibration", Static)
        panel.display = False
        self.pairs.focus()
        self.apply_filter(self.filter)
        self._load_counts()
        # Other reviewers and processes write to the same store: SQLite's data_version (on the writer's own
        # connection, so this app's writes do not count) tells us, once a second, without reading any table.
        self.watcher = self.set_interval(1.0, self._watch_store, name="watch the store")
        self._watch_store()  # the baseline now, so a write during the first second is not missed

    # -- other writers ----------------------------------------------------------------------------

    def _watch_store(self) -> None:
        store = self.ctx.store

        async def check() -> None:
            version = await store.write(data_version)
            if self._data_version is not None and version != self._data_version:
                self.post_message(Loaded("external", None, version))
            self._data_version = version
        start_work(self, check, description="watching the store for other writers", group="watch", exclusive=True,
                   thread=False)

    def refresh_from_store(self) -> None:
        """Another process wrote: read the visible rows, the counts and the detail again (and the list's ids
        when the list is small enough to re-read in a blink; ctrl+l always does)."""
        pairs, store = self.pairs, self.ctx.store
        top = int(pairs.scroll_offset.y)
        visible = [int(i) for i in pairs.ids[top:top + max(1, pairs.size.height)]]
        self.forget_details()
        if visible:
            start_work(self, lambda: self.post_message(Loaded("rows", None, queries.row_summaries(store.conn(),
                                                                                                  visible))),
                       description="reading the visible pairs again", group="rows-again", exclusive=True)
        if len(pairs.ids) <= 200_000:
            self.apply_filter(self.filter)
        self._load_counts()
        self._reload_detail()
        self.refresh_calibration()

    @property
    def calibration_shown(self) -> bool:
        return bool(self.query_one("#calibration", Static).display)

    def refresh_calibration(self) -> None:
        """Compute the judge-vs-reviewers report again when its panel is open (a decision may have moved it)."""
        if self.calibration_shown:
            from curator.tui.screens.review_stages import calibration
            calibration(self)

    def show_progress(self, text: str | None) -> None:
        """A long job this screen started (regeneration): `n / N chunks` on the top line until it ends."""
        self._progress = text
        self._draw_bar()

    # -- reading ----------------------------------------------------------------------------------

    def apply_filter(self, f: ReviewFilter, *, keep_cursor: bool = True) -> None:
        """Show the pairs `f` keeps (the cursor stays on the current pair when it is among them, unless
        `keep_cursor` is False: then it starts on the first)."""
        self.filter = f
        self._keep_cursor = keep_cursor
        self._draw_bar(loading=True)
        store, order, ctx = self.ctx.store, self.order, self.ctx

        def load() -> None:
            ids = queries.matching_ids(store.conn(), f)
            doubts: dict[int, Any] = {}
            if order == "uncertain" and not cancelled():
                from curator.filters.calibrate import order_by_doubt
                from curator.filters.settings import FilterSettings
                ordered, doubts = order_by_doubt(store.conn(), FilterSettings.from_config(ctx.ws.config["filters"]),
                                                 ids.tolist(), f.status)
                ids = np.asarray(ordered, dtype=ids.dtype)
            if not cancelled():
                self.post_message(Loaded("ids", f, (ids, doubts, order)))
        start_work(self, load, description="reading the pairs of the filter", group="ids", exclusive=True)

    def _load_counts(self) -> None:
        store = self.ctx.store
        start_work(self, lambda: self.post_message(Loaded("counts", None, queries.status_counts(store.conn()))),
                   description="counting pairs", group="counts", exclusive=True)

    def _load_detail(self, pair_id: int) -> None:
        store = self.ctx.store

        def load() -> None:
            detail = queries.pair_detail(store.conn(), pair_id)
            if not cancelled():
                self.post_message(Loaded("detail", pair_id, detail))
        start_work(self, load, description=f"reading pair {pair_id}", group="detail", exclusive=True)

    def on_pair_list_rows_wanted(self, event: PairList.RowsWanted) -> None:
        store, ids, page = self.ctx.store, event.pair_ids, event.page
        start_work(self, lambda: self.post_message(Loaded("rows", page, queries.row_summaries(store.conn(), ids))),
                   description="reading the visible pairs", group="rows")

    def on_pair_list_cursor_moved(self, event: PairList.CursorMoved) -> None:
        if event.pair_id is None:
            self._show_detail(None)
        elif self._detail is None or self._detail["pair"]["id"] != event.pair_id:
            cached = self._prefetched.pop(event.pair_id, None)
            if cached is not None:
                self._show_detail(cached)
            else:
                self._load_detail(event.pair_id)
        self._draw_bar()
        self._changed()

    def _prefetch_next(self) -> None:
        """Read the next pair's detail ahead, so that moving on after a decision shows it at once."""
        pairs, store = self.pairs, self.ctx.store
        ahead = [int(i) for i in pairs.ids[pairs.cursor + 1:pairs.cursor + 3] if int(i) not in self._prefetched]
        if not ahead:
            return

        def load() -> None:
            details = {pair_id: queries.pair_detail(store.conn(), pair_id) for pair_id in ahead}
            if not cancelled():
                self.post_message(Loaded("ahead", None, details))
        start_work(self, load, description="reading the next pairs", group="ahead", exclusive=True)

    def forget_details(self, pair_ids: list[int] | None = None) -> None:
        """Drop details read ahead (all of them, or these pairs'): a write changed them."""
        if pair_ids is None:
            self._prefetched.clear()
        for pair_id in pair_ids or ():
            self._prefetched.pop(pair_id, None)

    def on_loaded(self, message: Loaded) -> None:
        if message.what == "ids" and message.key == self.filter and message.value[2] == self.order:
            ids, self.doubts, _order = message.value
            self._ids_for = message.key
            keep = self._detail["pair"]["id"] if self._detail and self._keep_cursor else None
            self._keep_cursor = True
            self.pairs.set_ids(ids, keep=keep)
            if not len(ids):
                self._show_detail(None)
        elif message.what == "rows":
            self.pairs.set_rows(message.value, page=message.key)
        elif message.what == "detail" and message.key == self.pairs.current_id:
            self._show_detail(message.value)
        elif message.what == "ahead":  # keep only what is still ahead of the cursor
            near = {int(i) for i in self.pairs.ids[self.pairs.cursor:self.pairs.cursor + 3]}
            merged = {**self._prefetched, **message.value}
            self._prefetched = {k: v for k, v in merged.items() if v is not None and k in near}
        elif message.what == "external":
            self.refresh_from_store()
        elif message.what == "counts":
            self.counts = message.value
            self._draw_counts()
        elif message.what == "choices":
            self.app.push_screen(FilterDialog(self.filter, message.value),
                                 lambda f: self.apply_filter(f) if f is not None else None)
        self._draw_bar()
        self._changed()

    def _show_detail(self, detail: dict[str, Any] | None) -> None:
        self._detail = detail
        self.query_one(PairDetail).show(detail)
        self.query_one(SourcePane).show(detail)
        if detail is not None:
            self._prefetch_next()

    # -- drawing ----------------------------------------------------------------------------------

    def _draw_bar(self, loading: bool = False) -> None:
        pairs = self.pairs
        state = "  loading…" if loading or self._ids_for != self.filter else ""
        where = f"{pairs.cursor + 1:,}/{len(pairs.ids):,}" if len(pairs.ids) else "0 pairs"
        picked = f" · {len(pairs.selection):,} selected" if pairs.selection else ""
        job = f"  ⟳ {self._progress}" if self._progress else ""
        order = ""
        if self.order == "uncertain":
            doubt = self.doubts.get(pairs.current_id) if pairs.current_id is not None else None
            why = f" · uncertain: {'; '.join(doubt.signals)}" if doubt else " · no signal disagrees on this pair"
            order = f" · order: most uncertain first ({len(self.doubts):,} uncertain){why}"
        self.query_one("#review-bar", Static).update(
            f"filter: {self.filter.describe()} · {where}{picked}{state}{job}{order}")

    def _draw_counts(self) -> None:
        c, s = self.counts, self.session
        self.query_one("#review-counts", Static).update(
            f"pending {c.get('pending', 0):,} · accepted {c.get('accepted', 0):,} · rejected {c.get('rejected', 0):,}"
            f" · superseded {c.get('superseded', 0):,}  │ session: {s['accepted']} accepted, {s['rejected']}"
            f" rejected, {s['edited']} edited, {s['regenerated']} regenerated, {s['undone']} undone")

    # -- writing ----------------------------------------------------------------------------------

    def _write(self, what: str, key: Any, fn: Any, *args: Any, **kwargs: Any) -> None:
        """Queue a write on the store's writer thread; its result comes back as `Written`."""
        self._writes += 1
        store = self.ctx.store

        async def run() -> None:
            try:
                value = await store.write(fn, *args, **kwargs)
            except actions.StaleDecision as stale:  # someone changed the pair since: say so, show it as it is
                self.post_message(Written("stale", key, str(stale)))
                return
            self.post_message(Written(what, key, value))
        start_work(self, run, description=f"saving: {what}", group="write", thread=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "write" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                              WorkerState.CANCELLED):
            self._writes -= 1
            if event.state == WorkerState.ERROR:  # what was drawn ahead of the store is read again
                around = self.pairs.ids[max(0, self.pairs.cursor - 50):self.pairs.cursor + 50]
                self.pairs.forget_rows([int(i) for i in around])
                self._load_counts()
            self._changed()

    def on_written(self, message: Written) -> None:
        if message.what == "stale":
            self._after_stale(message.key, message.value)
            return
        if message.what == "decide":  # a detail read before the commit may show the old status
            pair_id, status, before = message.key[0], message.key[1], message.value
            self.forget_details([pair_id])
            if self._detail is not None and self._detail["pair"]["id"] == pair_id:
                self._reload_detail()
        elif message.what not in ("explain", "calibration"):
            self.forget_details()
        if message.what == "decide":
            if before != status:
                self.counts[before] = self.counts.get(before, 0) - 1
                self.counts[status] = self.counts.get(status, 0) + 1
            self.session[status] += 1
        elif message.what == "edit":
            old_id, new_id = message.key, message.value
            index = self.pairs.index_of(old_id)
            if index is not None:
                self.pairs.replace_id(index, [new_id])
            self.counts["superseded"] = self.counts.get("superseded", 0) + 1
            self.session["edited"] += 1
            self._reload_detail()
        elif message.what == "undo":
            self._after_undo(message.value)
        elif message.what == "regen_preview":
            from curator.tui.screens.review_stages import show_preview
            show_preview(self, message.value)
        elif message.what == "regen_keep":
            from curator.tui.screens.review_stages import show_kept
            show_kept(self, message.value)
        elif message.what == "regen_discard":
            self.notify("Discarded the new pairs; nothing changed.")
        elif message.what == "restore":
            self._after_restore(message.value)
        elif message.what == "explain":
            from curator.tui.screens.review_stages import show_explanation
            show_explanation(self, message.key, message.value)
        elif message.what == "calibration":
            if self.calibration_shown:
                from curator.tui.screens.review_stages import calibration_report
                self.query_one("#calibration", Static).update(calibration_report(message.value))
                self.calibration = message.value
        elif message.what == "keeper":
            self.pairs.forget_rows([m["id"] for m in (message.value or {}).get("members", [])])
            self._reload_detail()
            self.notify(f"Cluster {message.key}: keeper is now pair {message.value['keeper_id']}.")
        elif message.what == "bulk":
            status, count = message.key, message.value
            self.session[status] += count
            self.pairs.selection.clear()
            self.pairs.clear_rows()
            self._reload_detail()
            self.notify(f"{count:,} pairs {status}.")
            self._load_counts()
        if message.what not in ("calibration", "explain", "regen_preview", "regen_discard"):
            self.refresh_calibration()  # a write: the panel's numbers may have moved
        self._draw_counts()
        self._draw_bar()
        self._changed()

    def _after_undo(self, result: actions.UndoResult) -> None:
        """Say what was undone and show it: the cursor goes to the pair, which is put in the list if the
        filter hides it."""
        self.session["undone"] += 1
        for old, new in result.replaced.items():
            index = self.pairs.index_of(old)
            if index is not None:
                self.pairs.replace_id(index, [new])
        self.pairs.forget_rows(result.pair_ids)
        self.forget_details()
        if result.pair_ids:
            focus = result.pair_ids[0] if result.action != "keeper" else result.pair_ids[-1]
            index = self.pairs.index_of(focus)
            if index is None:
                index = self.pairs.insert_ids([focus])
            self.pairs.move_to(index, force=True)
        self._reload_detail()
        text = result.description or f"undid {result.action}"
        self.notify(text[0].upper() + text[1:] + ".", title="Undo")
        self._load_counts()

    def _after_stale(self, key: Any, text: str) -> None:
        """A decision was refused because the pair changed since: the notice says by whom; the row shows it."""
        pair_id = key[0] if isinstance(key, tuple) else key if isinstance(key, int) else None
        self.notify(text, title="Not saved: changed by someone else", severity="warning", timeout=10)
        if pair_id is not None:
            self.pairs.forget_rows([pair_id])
        else:
            self.pairs.clear_rows()
        self.forget_details()
        self._reload_detail()
        self._load_counts()
        self._changed()

    def _after_restore(self, result: actions.RestoreResult) -> None:
        self.session["restored"] += 1
        index = self.pairs.index_of(result.pair_id)
        if index is not None and result.current_id != result.pair_id:
            self.pairs.replace_id(index, [result.current_id])
        self.pairs.forget_rows([result.pair_id, result.current_id, *result.replaced_by])
        self.forget_details()
        self._reload_detail()
        self._load_counts()
        self.notify(result.description[0].upper() + result.description[1:] + ".", title="Restore")

    def _reload_detail(self) -> None:
        if self.pairs.current_id is not None:
            self._load_detail(self.pairs.current_id)

    # -- for tests and the benchmark ----------------------------------------------------------------

    @property
    def settled(self) -> bool:
        """Whether the screen shows what the store holds: ids of this filter, rows, detail, no write queued."""
        pairs = self.pairs
        detail_ok = (pairs.current_id is None and self._detail is None) or \
            (self._detail is not None and self._detail["pair"]["id"] == pairs.current_id)
        return (self._ids_for == self.filter and self._writes == 0 and detail_ok and pairs.rows_loaded
                and bool(self.counts) and self._data_version is not None)

    async def wait_settled(self, condition: Any = None, timeout: float = 60.0) -> None:
        """Wait until the screen is settled (and `condition()` holds), woken by each change, not polling."""
        deadline = time.monotonic() + timeout
        while not (self.settled and (condition is None or condition())):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the review screen did not settle in {timeout} s")
            try:
                await asyncio.wait_for(waiter, min(remaining, 0.5))
            except TimeoutError:
                pass

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
