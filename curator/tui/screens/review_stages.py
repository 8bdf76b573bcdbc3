"""Review actions that call other stages: regenerate (the extraction engine), the duplicate cluster with its
keeper and the explanation of a pair's flags (the filters). Kept apart from the screen: it reads as what it
drives (`run_extraction`, `set_keeper`, `explain_pair`)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from curator.store.pairs import get_pair
from curator.store.review_queries import cluster_view
from curator.tui.keys import dialog_bindings
from curator.tui.screens.review_messages import Written
from curator.tui.widgets.dialogs import MessageDialog
from curator.tui.workers import start_work


def regenerate(screen: Any) -> None:
    """Re-extract the current pair's chunk through the extraction engine; show the new pairs beside the old."""
    pair_id = screen.pairs.current_id
    if pair_id is None:
        return
    ctx = screen.ctx
    screen.notify(f"Regenerating pair {pair_id} from its chunk…")

    def run() -> None:
        from curator.extract.stage import run_extraction

        conn = ctx.store.conn()
        old = get_pair(conn, pair_id)
        if old is None or old["chunk_id"] is None:
            from curator.errors import CuratorError
            raise CuratorError(f"pair {pair_id} was not extracted from a chunk ({old['origin'] if old else 'gone'}):"
                               " there is nothing to regenerate it from; edit it instead (e)")
        summary = run_extraction(ctx.ws, regenerate_pairs=[pair_id], base_url=ctx.llm_base_url)
        after = get_pair(conn, pair_id)
        new_ids = json.loads(after["meta"] or "{}").get("superseded_by") or [] if after else []
        new_pairs = [get_pair(conn, i) for i in new_ids]
        screen.post_message(_regenerated(pair_id, old, [p for p in new_pairs if p], summary))
    start_work(screen, run, description=f"regenerating pair {pair_id}", group="regenerate", exclusive=True)


def _regenerated(pair_id: int, old: dict[str, Any], new: list[dict[str, Any]], summary: Any) -> Written:
    return Written("regenerate", pair_id, {"old": old, "new": new, "summary": summary})


def show_regenerated(screen: Any, value: dict[str, Any]) -> None:
    old, new = value["old"], value["new"]
    if old["status"] != "superseded" and not new:
        stopped = getattr(value["summary"], "stopped", None)
        screen.notify(f"Regenerating pair {old['id']} gave nothing new" + (f": {stopped}" if stopped else "."),
                      severity="warning")
        return
    index = screen.pairs.index_of(old["id"])
    if index is not None:
        screen.pairs.replace_id(index, [p["id"] for p in new] or [old["id"]])
        screen.pairs.forget_rows([old["id"]])
    screen._load_counts()
    screen.app.push_screen(RegeneratedDialog(old, new))


class RegeneratedDialog(ModalScreen[None]):
    """The old pair (now superseded) beside the new candidates from the same chunk."""

    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("regen_close")

    def __init__(self, old: dict[str, Any], new: list[dict[str, Any]]) -> None:
        super().__init__()
        self._old, self._new = old, new

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Regenerated pair {self._old['id']}: {len(self._new)} new candidate(s), pending review",
                        classes="dialog-title")
            with Horizontal():
                with VerticalScroll(id="regen-old"):
                    yield Static(_pair_block("Before (now superseded)", [self._old]))
                with VerticalScroll(id="regen-new"):
                    yield Static(_pair_block("New candidates", self._new))
            yield Label("enter / escape: back to the list (the new pairs are in it, where the old one was)",
                        classes="dialog-hint")


def _pair_block(title: str, pairs: list[dict[str, Any]]) -> Group:
    parts: list[Any] = [Text(title, style="bold underline")]
    for p in pairs:
        parts += [Text(), Text(f"#{p['id']} · {p['status']}", style="bold"), Text("Q ", style="bold") +
                  Text(p["question"]), Text("A ", style="bold") + Text(p["answer"])]
    if not pairs:
        parts.append(Text("none: the model returned no pair for this chunk", style="dim"))
    return Group(*parts)


def open_cluster(screen: Any) -> None:
    """Show the current pair's duplicate cluster; from there, filter the list to it or choose the keeper."""
    detail = screen._detail
    if detail is None or not detail["clusters"]:
        screen.notify("This pair is in no duplicate cluster.", severity="information")
        return
    cluster = detail["clusters"][0]
    screen.app.push_screen(ClusterDialog(cluster), lambda choice: _cluster_choice(screen, cluster, choice))


def _cluster_choice(screen: Any, cluster: dict[str, Any], choice: tuple[str, int] | None) -> None:
    if choice is None:
        return
    what, value = choice
    if what == "filter":
        screen.apply_filter(screen.filter.but(status="all", cluster_id=cluster["id"]))
        return
    from curator.filters.keeper import set_keeper
    from curator.filters.settings import FilterSettings

    ctx = screen.ctx
    settings = FilterSettings.from_config(ctx.ws.config["filters"])

    async def run() -> None:
        await ctx.store.write(set_keeper, value, ctx.actor, settings, cluster_id=cluster["id"])
        view = await ctx.store.write(cluster_view, cluster["id"])
        screen.post_message(_keeper_chosen(view))
    start_work(screen, run, description=f"choosing pair {value} as the keeper of cluster {cluster['id']}",
               group="keeper", exclusive=True, thread=False)


def _keeper_chosen(cluster: dict[str, Any] | None) -> Written:
    return Written("keeper", cluster["id"] if cluster else None, cluster)


class ClusterDialog(ModalScreen[tuple[str, int] | None]):
    """A duplicate cluster's members; enter makes the highlighted one the keeper, f shows them in the list."""

    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("cluster_filter", "cluster_close")

    def __init__(self, cluster: dict[str, Any]) -> None:
        super().__init__()
        self._cluster = cluster

    def compose(self) -> ComposeResult:
        c = self._cluster
        with Vertical():
            yield Label(f"Duplicate cluster {c['id']} ({c['kind']}): keeper {c['keeper_id']}, chosen by "
                        f"{c['keeper_by']}", classes="dialog-title")
            options = []
            for m in c["members"]:
                mark = "★" if m["keeper"] else " "
                score = f" {m['score']:g}" if m.get("score") is not None else ""
                options.append(Option(f"{mark} {m['id']:>8}  {m['status']:<9} {(m.get('kind') or 'keeper')}{score}  "
                                      f"{' '.join(m['question'].split())[:70]}", id=str(m["id"])))
            yield OptionList(*options, id="members")
            yield Label("enter: make the highlighted pair the keeper · f: show the cluster in the list · "
                        "escape: close", classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(("keeper", int(event.option.id)))

    def action_show_in_list(self) -> None:
        self.dismiss(("filter", self._cluster["id"]))


def explain(screen: Any) -> None:
    """Why the filters flagged (or passed) the current pair: every measurement with its decision and limit."""
    pair_id = screen.pairs.current_id
    if pair_id is None:
        return
    ctx = screen.ctx

    def run() -> None:
        from curator.filters.explain import explain_pair
        from curator.filters.settings import FilterSettings

        report = explain_pair(ctx.store.conn(), pair_id, FilterSettings.from_config(ctx.ws.config["filters"]))
        screen.post_message(Written("explain", pair_id, report))
    start_work(screen, run, description=f"explaining the flags of pair {pair_id}", group="explain", exclusive=True)


def show_explanation(screen: Any, pair_id: int, report: dict[str, Any]) -> None:
    table = Table(show_edge=False, expand=True)
    for col in ("measured", "score", "decision", "why"):
        table.add_column(col)
    for m in report["measurements"]:
        score = "" if m["score"] is None else f"{m['score']:g}"
        cluster = f" (cluster {m['cluster_id']})" if m.get("cluster_id") else ""
        table.add_row(m["kind"] + cluster, score, m["decision"], m["reason"] or "")
    verdict = Text("fails a filter" if report["fails"] else "passes every filter",
                   style="red" if report["fails"] else "green")
    body = Group(verdict, Text(), table if report["measurements"] else Text("no measurement yet: run the filter "
                                                                            "stage (F2)", style="dim"),
                 Text(), Text("keeper policy: " + "; ".join(report["keeper_policy"]), style="dim"))
    screen.app.push_screen(MessageDialog(f"Why pair {pair_id} is flagged", body))
