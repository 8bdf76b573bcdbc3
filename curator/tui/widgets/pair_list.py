"""The list of pairs: a Line API ScrollView over an id array, rendering only the rows on screen.

It holds the filter's pair ids as one int64 array (8 MB for a million pairs) and a
bounded cache of row summaries. A row that is not cached is drawn as a placeholder
while the widget asks for its page (`RowsWanted`); whoever owns the list loads the
page in a worker and hands it back with `set_rows`. No widget per row, ever.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from curator.store.flags import FLAG_KIND_TABLE

PAGE = 100
CACHE_ROWS = 20_000
_FLAG_SHORT = {k.kind: k.label for k in FLAG_KIND_TABLE}  # the one table of flag kinds (curator.store.flags)


def format_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = int(seconds)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def flag_summary(flags: list[tuple[str, float | None]]) -> str:
    parts = []
    for kind, score in flags:
        short = _FLAG_SHORT.get(kind, kind)
        parts.append(f"{short} {score:g}" if score is not None else short)
    return " ".join(parts)


class PairList(ScrollView, can_focus=True, inherit_bindings=False):
    """Rows of (id, status, origin, time span, question, flags) for the ids of the current filter."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"pair-list--cursor", "pair-list--selected", "pair-list--accepted",
                         "pair-list--rejected", "pair-list--superseded", "pair-list--placeholder",
                         "pair-list--flags"}
    DEFAULT_CSS = """
    PairList { height: 1fr; overflow-x: hidden; }
    PairList > .pair-list--cursor { background: $accent 35%; text-style: bold; }
    PairList:focus > .pair-list--cursor { background: $accent 60%; }
    PairList > .pair-list--selected { color: $warning; }
    PairList > .pair-list--accepted { color: $success; }
    PairList > .pair-list--rejected { color: $error; }
    PairList > .pair-list--superseded { color: $text-muted; text-style: strike; }
    PairList > .pair-list--placeholder { color: $text-muted; }
    PairList > .pair-list--flags { color: $warning; }
    """

    class CursorMoved(Message):
        def __init__(self, pair_list: PairList, index: int, pair_id: int | None) -> None:
            super().__init__()
            self.pair_list = pair_list
            self.index = index
            self.pair_id = pair_id

    class RowsWanted(Message):
        """Rows of `page` are not cached: load `pair_ids` and call `set_rows`."""

        def __init__(self, pair_list: PairList, page: int, pair_ids: list[int]) -> None:
            super().__init__()
            self.pair_list = pair_list
            self.page = page
            self.pair_ids = pair_ids

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)
        self.cursor = 0
        self.selection: set[int] = set()
        self._rows: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._asked: set[int] = set()

    # -- the data -------------------------------------------------------------------------------

    def set_ids(self, ids: np.ndarray, *, keep: int | None = None) -> None:
        """Show these ids; the cursor goes to `keep` when it is among them, else to the first row."""
        before = self.cursor
        self.ids = ids
        self._asked.clear()
        index = 0
        if keep is not None and len(ids):
            found = self.index_of(keep)
            if found is not None:
                index = found
            elif _ascending(ids):  # gone: the cursor goes to the pair after it in id order
                index = min(int(np.searchsorted(ids, keep)), len(ids) - 1)
            else:  # another order (most uncertain first): the pair that took its place
                index = min(before, len(ids) - 1)
        self.virtual_size = Size(self.size.width, len(ids))
        self.scroll_to(y=0, animate=False, immediate=True)
        self.move_to(index, force=True)
        self.refresh()

    def set_rows(self, rows: dict[int, dict[str, Any]], page: int | None = None) -> None:
        for pair_id, row in rows.items():
            self._rows[pair_id] = row
            self._rows.move_to_end(pair_id)
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)
        if page is not None:
            self._asked.discard(page)
        self.refresh()

    def update_row(self, pair_id: int, **changes: Any) -> None:
        row = self._rows.get(pair_id)
        if row is not None:
            row.update(changes)
            self.refresh()

    def forget_rows(self, pair_ids: list[int]) -> None:
        """Drop cached rows so they are read again from the store when drawn."""
        for pair_id in pair_ids:
            self._rows.pop(pair_id, None)
        self._asked.clear()
        self.refresh()

    def clear_rows(self) -> None:
        """Drop every cached row (after a bulk decision): what is on screen is read again."""
        self._rows.clear()
        self._asked.clear()
        self.refresh()

    def replace_id(self, index: int, new_ids: list[int]) -> None:
        """Put `new_ids` where the pair at `index` was (an edit's new revision, regenerated pairs)."""
        self.ids = np.concatenate([self.ids[:index], np.asarray(new_ids, dtype=np.int64), self.ids[index + 1:]])
        self._asked.clear()
        self.virtual_size = Size(self.size.width, len(self.ids))
        self.move_to(min(index, len(self.ids) - 1), force=True)
        self.refresh()

    def insert_ids(self, new_ids: list[int]) -> int:
        """Put pairs the filter does not hold into the list, in id order (a pair an undo changed, shown
        although the filter hides it); returns the index of the first."""
        extra = np.asarray(sorted(set(new_ids) - set(self.ids.tolist())), dtype=np.int64)
        if _ascending(self.ids):
            self.ids = np.sort(np.concatenate([self.ids, extra]), kind="stable")
        else:  # another order (most uncertain first) is kept: they go where the reviewer is
            at = min(self.cursor, len(self.ids))
            self.ids = np.concatenate([self.ids[:at], extra, self.ids[at:]])
        self._asked.clear()
        self.virtual_size = Size(self.size.width, len(self.ids))
        self.refresh()
        return self.index_of(new_ids[0]) or 0

    def row(self, pair_id: int) -> dict[str, Any] | None:
        return self._rows.get(pair_id)

    def index_of(self, pair_id: int) -> int | None:
        pos = int(np.searchsorted(self.ids, pair_id)) if len(self.ids) else 0
        if pos < len(self.ids) and self.ids[pos] == pair_id:
            return pos
        hits = np.flatnonzero(self.ids == pair_id)  # ids are sorted except after replace_id or in another order
        return int(hits[0]) if len(hits) else None

    @property
    def current_id(self) -> int | None:
        return int(self.ids[self.cursor]) if len(self.ids) else None

    @property
    def rows_loaded(self) -> bool:
        """Whether every row on screen is cached (nothing drawn as a placeholder)."""
        top = int(self.scroll_offset.y)
        visible = self.ids[top:top + max(1, self.size.height)]
        return all(int(i) in self._rows for i in visible)

    # -- moving ---------------------------------------------------------------------------------

    def move_to(self, index: int, *, force: bool = False) -> None:
        if not len(self.ids):
            self.cursor = 0
            self.post_message(self.CursorMoved(self, 0, None))
            return
        index = max(0, min(index, len(self.ids) - 1))
        if index == self.cursor and not force:
            return
        self.cursor = index
        height = max(1, self.size.height)
        top = int(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        self.refresh()
        self._prefetch()
        self.post_message(self.CursorMoved(self, index, int(self.ids[index])))

    def move_by(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def toggle_selection(self) -> None:
        pair_id = self.current_id
        if pair_id is not None:
            self.selection.symmetric_difference_update({pair_id})
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self.ids))
        self._prefetch()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._prefetch()

    def _prefetch(self) -> None:
        """Ask for the rows on screen (and the page after) now, not when they are first drawn."""
        top = int(self.scroll_offset.y)
        for index in (top, top + max(1, self.size.height), top + max(1, self.size.height) + PAGE):
            if index < len(self.ids):
                self._ask(index)

    def on_click(self, event: events.Click) -> None:
        self.move_to(int(self.scroll_offset.y) + event.y)

    # -- drawing --------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        base = self.rich_style
        if index >= len(self.ids):
            return Strip.blank(width, base)
        pair_id = int(self.ids[index])
        row = self._rows.get(pair_id)
        if row is None:
            self._ask(index)
        text = self._row_text(pair_id, row, width)
        if index == self.cursor:
            text.stylize(self.get_component_rich_style("pair-list--cursor"))
        segments = list(text.render(self.app.console))
        return Strip(Segment.apply_style(segments, base), width).crop_extend(0, width, base)

    def _row_text(self, pair_id: int, row: dict[str, Any] | None, width: int) -> Text:
        marker = "▸" if self.ids[self.cursor] == pair_id else " "
        picked = "●" if pair_id in self.selection else " "
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        text.append(marker)
        text.append(picked, self.get_component_rich_style("pair-list--selected"))
        text.append(f"{pair_id:>8}  ")
        if row is None:
            text.append("…", self.get_component_rich_style("pair-list--placeholder"))
            text.truncate(width, pad=True)
            return text
        status = row["status"]
        style = self.get_component_rich_style(f"pair-list--{status}") if status != "pending" else Style()
        text.append(f"{status:<10} ", style)  # "superseded" is ten letters: a space after it always
        text.append(f"{row['origin']:<9}")
        time_span = format_time(row.get("time_start"))
        flags = flag_summary(row.get("flags", []))
        right = f"  {flags}" if flags else ""
        if row.get("replaced_by"):  # a superseded pair says what replaced it
            right = f"  → {', '.join(map(str, row['replaced_by']))}" + right
        question_width = max(10, width - text.cell_len - len(right) - (10 if time_span else 0))
        if time_span:
            text.append(f"{time_span}  ")
        question = Text(" ".join(row["question"].split()), no_wrap=True, overflow="ellipsis", end="")
        question.truncate(question_width, overflow="ellipsis", pad=True)
        text.append_text(question)
        text.append(right, self.get_component_rich_style("pair-list--flags"))
        text.truncate(width, overflow="ellipsis", pad=True)
        return text

    def _ask(self, index: int) -> None:
        page = index // PAGE
        if page in self._asked:
            return
        self._asked.add(page)
        wanted = [int(i) for i in self.ids[page * PAGE:(page + 1) * PAGE] if int(i) not in self._rows]
        if wanted:
            self.post_message(self.RowsWanted(self, page, wanted))
        else:
            self._asked.discard(page)


def _ascending(ids: np.ndarray) -> bool:
    """Whether the list is in id order (the default) rather than another (most uncertain first)."""
    return bool(len(ids) < 2 or np.all(ids[1:] >= ids[:-1]))
