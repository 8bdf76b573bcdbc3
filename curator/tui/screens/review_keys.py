"""The actions behind the review keys (accept, reject, edit, undo, select, bulk, search, filter, ...).

A mixin of `ReviewScreen`: every action draws its effect at once and queues its write
(`_write`), whose result comes back to the screen as a `Written` message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from textual.widgets import Input

from curator.store import review_actions as actions
from curator.store import review_queries as queries
from curator.store.review_queries import ReviewFilter
from curator.tui.screens.review_messages import Loaded
from curator.tui.widgets.dialogs import ConfirmDialog, EditDialog, ReasonPicker
from curator.tui.workers import start_work


class ReviewKeyActions:
    def action_cursor(self, delta: int) -> None:
        self.pairs.move_by(delta)

    def action_page(self, direction: int) -> None:
        self.pairs.move_by(direction * max(1, self.pairs.size.height - 1))

    def action_jump(self, where: str) -> None:
        self.pairs.move_to(0 if where == "first" else len(self.pairs.ids) - 1)

    def _seen(self, pair_id: int) -> dict[str, Any]:
        """What the reviewer sees of the pair (its row, else its detail): a decision carries it, and is
        refused if the pair changed since (another reviewer, another process)."""
        row = self.pairs.row(pair_id)
        if row is None and self._detail is not None and self._detail["pair"]["id"] == pair_id:
            row = self._detail["pair"]
        return {"expect_status": row["status"], "expect_revision": row["revision"]} if row else {}

    def _decide(self, status: str, reason: str | None = None) -> None:
        pair_id = self.pairs.current_id
        if pair_id is None:
            return
        seen = self._seen(pair_id)
        if seen.get("expect_status") == "superseded":
            self.notify(f"Pair {pair_id} is superseded: restore it first (o).", severity="warning")
            return
        self.pairs.update_row(pair_id, status=status)
        self._write("decide", (pair_id, status), actions.decide, pair_id, status, self.ctx.actor, reason=reason,
                    **seen)
        self.pairs.move_by(1)

    def action_accept(self) -> None:
        self._decide("accepted")

    def action_reject(self) -> None:
        if self.pairs.current_id is None:
            return
        self.app.push_screen(ReasonPicker(self.ctx.reject_reasons),
                             lambda reason: self._decide("rejected", reason) if reason else None)

    def action_edit(self) -> None:
        detail = self._detail
        if detail is None or detail["pair"]["id"] != self.pairs.current_id:
            self.notify("The pair is still loading; try again in a moment.", severity="warning")
            return
        pair = detail["pair"]

        seen = {"expect_status": pair["status"], "expect_revision": pair["revision"]}

        def save(result: dict[str, str] | None) -> None:
            if result:
                self._write("edit", pair["id"], actions.save_edit, pair["id"], self.ctx.actor, **result, **seen)
        self.app.push_screen(EditDialog(pair["id"], pair["question"], pair["answer"]), save)

    def action_undo(self) -> None:
        from curator.review.actions import undo

        self._write("undo", None, undo, self.ctx.actor, self.ctx.ws.config.get("filters", {}))

    def action_restore(self) -> None:
        pair_id = self.pairs.current_id
        if pair_id is None:
            return
        row = self.pairs.row(pair_id)
        if row is not None and row["status"] != "superseded":
            self.notify(f"Pair {pair_id} is {row['status']}, not superseded: nothing to restore (5 lists the "
                        "superseded pairs).", severity="warning")
            return
        self._write("restore", pair_id, actions.restore, pair_id, self.ctx.actor)

    def action_regenerate_chunk(self) -> None:
        from curator.tui.screens.review_stages import regenerate
        regenerate(self, chunk=True)

    def action_select(self) -> None:
        self.pairs.toggle_selection()
        self.pairs.move_by(1)
        self._draw_bar()

    def action_bulk(self, status: str) -> None:
        pairs = self.pairs
        ids = np.array(sorted(pairs.selection), dtype=np.int64) if pairs.selection else pairs.ids.copy()
        if not len(ids):
            return
        scope = f"the {len(ids):,} selected pairs" if pairs.selection else \
            f"all {len(ids):,} pairs of the filter {self.filter.describe()}"
        verb = "Accept" if status == "accepted" else "Reject"

        seen = self.filter.status if self.filter.status in ("pending", "accepted", "rejected") else None

        def run(reason: str | None) -> None:
            self._write("bulk", status, actions.bulk_decide, ids, status, self.ctx.actor, reason=reason,
                        filter_text=self.filter.describe(), expect_status=seen)

        def confirmed(yes: bool) -> None:
            if not yes:
                return
            if status == "rejected":
                self.app.push_screen(ReasonPicker(self.ctx.reject_reasons, title=f"Reject {len(ids):,}: why?"),
                                     lambda reason: run(reason) if reason else None)
            else:
                run(None)
        self.app.push_screen(ConfirmDialog(f"{verb} {len(ids):,} pairs?", f"{verb} {scope}? Pairs already "
                                           f"{status} stay as they are. One undo (u) reverts it."), confirmed)

    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.value = self.filter.text
        box.display = True
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "search":
            event.input.display = False
            self.pairs.focus()
            self.apply_filter(self.filter.but(text=event.value.strip()))

    def on_key(self, event: Any) -> None:
        box = self.query_one("#search", Input)
        if event.key == "escape" and box.display:
            box.display = False
            self.pairs.focus()
            event.stop()

    def action_filter(self) -> None:
        store = self.ctx.store
        start_work(self, lambda: self.post_message(Loaded("choices", None, queries.filter_choices(store.conn()))),
                   description="reading the filter choices", group="choices", exclusive=True)

    def action_status_filter(self, status: str) -> None:
        self.apply_filter(self.filter.but(status=status))

    def action_clear_filter(self) -> None:
        self.apply_filter(ReviewFilter(), keep_cursor=False)  # a fresh start: the first pending pair

    def action_cluster(self) -> None:
        from curator.tui.screens.review_stages import open_cluster
        open_cluster(self)

    def action_regenerate(self) -> None:
        from curator.tui.screens.review_stages import regenerate
        regenerate(self)

    def action_toggle_order(self) -> None:
        """Switch the list between id order and most uncertain first (the library's doubt signals)."""
        self.order = "id" if self.order == "uncertain" else "uncertain"
        self.notify("Most uncertain first: where the judge, similar pairs' decisions, eval_low, conflicts and "
                    "rule limits disagree." if self.order == "uncertain" else "Back to id order.")
        self.apply_filter(self.filter, keep_cursor=False)

    def action_calibration(self) -> None:
        """Open (or close) the panel of the judge against the reviewers; while open it follows every decision."""
        panel = self.query_one("#calibration")
        panel.display = not panel.display
        if panel.display:
            panel.update("comparing the judge with the reviewers...")
            self.calibration = None
            self.refresh_calibration()

    def action_explain(self) -> None:
        from curator.tui.screens.review_stages import explain
        explain(self)

    def action_refresh(self) -> None:
        """Read the list, the rows and the counts again (another process may have changed the pairs)."""
        self.pairs.clear_rows()
        self.forget_details()
        self.apply_filter(self.filter)
        self._load_counts()
        self._reload_detail()
