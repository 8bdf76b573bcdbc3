"""Review actions that call other stages: regenerate (a preview from the LLM, kept or discarded), the duplicate cluster with its
keeper and the explanation of a pair's flags (the filters). Kept apart from the screen: it reads as what it
drives (`run_extraction`, `set_keeper`, `explain_pair`)."""

from __future__ import annotations

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


def regenerate(screen: Any, *, chunk: bool = False) -> None:
    """Ask the model anew for the current pair (or its whole chunk) and preview the answer; nothing changes
    until the reviewer keeps it. Template-made pairs are refused before anything is sent."""
    pair_id = screen.pairs.current_id
    if pair_id is None:
        return
    ctx = screen.ctx
    what = f"the chunk of pair {pair_id}" if chunk else f"pair {pair_id}"

    def progress(done: int, total: int) -> None:
        screen.app.call_from_thread(screen.show_progress, f"regenerating {what}: {done} / {total} chunks")

    def run() -> None:
        from curator.review.regenerate import regenerate_preview

        conn = ctx.store.conn()
        pair = get_pair(conn, pair_id)
        target = {"chunk_id": pair["chunk_id"]} if chunk and pair is not None and pair["origin"] == "llm" \
            and pair["chunk_id"] is not None else {"pair_id": pair_id}
        try:
            preview = regenerate_preview(ctx.ws, ctx.actor, base_url=ctx.llm_base_url, on_progress=progress,
                                         **target)
        finally:
            screen.app.call_from_thread(screen.show_progress, None)
        screen.post_message(Written("regen_preview", pair_id, preview))
    screen.show_progress(f"regenerating {what}: asking the model…")
    start_work(screen, run, description=f"regenerating {what}", group="regenerate", exclusive=True)


def show_preview(screen: Any, preview: Any) -> None:
    """The new pairs beside the old; keep writes the choice (one undo reverts it), discard changes nothing."""
    from curator.store.regenerations import discard_regeneration, keep_regeneration

    def chosen(choice: dict[str, list[int]] | None) -> None:
        if choice is None:
            screen._write("regen_discard", None, discard_regeneration, preview.id, screen.ctx.actor)
        else:
            screen._write("regen_keep", None, keep_regeneration, preview.id, screen.ctx.actor,
                          keep=choice["keep"], replace=choice["replace"])
    screen.app.push_screen(RegeneratePreview(preview), chosen)


def show_kept(screen: Any, kept: dict[str, Any]) -> None:
    pairs = screen.pairs
    new_ids, gone = kept["kept"], kept["superseded"]
    index = pairs.index_of(gone[0]) if gone else None
    if index is not None:
        pairs.replace_id(index, new_ids or [gone[0]])
    elif new_ids:
        pairs.insert_ids(new_ids)
    pairs.forget_rows(list(gone) + list(new_ids))
    screen._reload_detail()
    screen._load_counts()
    screen.session["regenerated"] = screen.session.get("regenerated", 0) + 1
    screen.notify(f"Kept {len(new_ids)} new pair(s); superseded {', '.join(map(str, gone)) or 'none'} "
                  "(u undoes it; 5 lists superseded pairs, o restores one).")


class RegeneratePreview(ModalScreen[dict[str, list[int]] | None]):
    """The pairs now (left; checked: replaced) beside the model's new ones (right; checked: kept).

    Nothing is written until ctrl+s; escape discards the new pairs and changes nothing."""

    BINDINGS: ClassVar[list[BindingType]] = dialog_bindings("regen_keep", "regen_discard")

    def __init__(self, preview: Any) -> None:
        super().__init__()
        self._preview = preview

    def compose(self) -> ComposeResult:
        from textual.widgets import SelectionList

        p = self._preview
        target = f"pair {p.pair_id}" if p.target == "pair" else f"chunk {p.chunk_id}"
        with Vertical():
            yield Label(f"Regenerated {target} (attempt {p.attempt}): {len(p.candidates)} new. Nothing changed yet.",
                        classes="dialog-title")
            with Horizontal():
                with Vertical(id="regen-old"):
                    yield Label("Now (checked: replaced)", classes="regen-head")
                    yield SelectionList[int](*[(_line(o), o["id"], bool(o["replace"])) for o in p.old],
                                             id="regen-replace")
                    with VerticalScroll(classes="regen-text"):
                        yield Static(_pairs_text(p.old))
                with Vertical(id="regen-new"):
                    yield Label("New (checked: kept)", classes="regen-head")
                    if p.candidates:
                        first_only = p.target == "pair"  # one pair is replaced by one, unless you check more
                        yield SelectionList[int](*[(_line(c, i), i, not first_only or i == 0)
                                                   for i, c in enumerate(p.candidates)], id="regen-keep")
                        with VerticalScroll(classes="regen-text"):
                            yield Static(_pairs_text(p.candidates, new=True))
                    else:
                        yield Static("none: the model returned no pair", classes="dialog-hint")
            yield Label("space: (un)check · tab: other side · ctrl+s: keep · escape: discard", classes="dialog-hint")

    def on_mount(self) -> None:
        lists = self.query("SelectionList")
        if lists:
            lists.last().focus()

    def action_keep(self) -> None:
        from textual.widgets import SelectionList

        replace = list(self.query_one("#regen-replace", SelectionList).selected)
        keep = list(self.query_one("#regen-keep", SelectionList).selected) if self._preview.candidates else []
        self.dismiss({"keep": keep, "replace": replace})

    def action_discard(self) -> None:
        self.dismiss(None)


def _line(pair: dict[str, Any], index: int | None = None) -> Text:
    """One line of a choice list: which pair, and the start of its question."""
    head = f"[{index}] " if index is not None else f"#{pair['id']} {pair['status']} "
    text = Text(head, style="bold")
    text.append(" ".join(pair["question"].split())[:60])
    return text


def _pairs_text(pairs: list[dict[str, Any]], *, new: bool = False) -> Text:
    """The whole question and answer of every pair of a side, to read before choosing."""
    text = Text()
    for i, pair in enumerate(pairs):
        head = f"[{i}]" if new else f"#{pair['id']} {pair['status']} r{pair['revision']}"
        text.append(("\n" if i else "") + head + "\n", style="bold")
        text.append("Q ", style="bold")
        text.append(" ".join(pair["question"].split()) + "\n")
        text.append("A ", style="bold")
        text.append(" ".join((pair.get("answer") or "").split()) + "\n")
    return text


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
                # the answer too: in a conflict the questions match and the answers are what you choose between
                prompt = Text(f"{mark} {m['id']:>8}  {m['status']:<9} {(m.get('kind') or 'keeper')}{score}  ")
                prompt.append(" ".join(m["question"].split())[:70])
                prompt.append("\n" + " " * 12 + "A ", style="bold")
                prompt.append(" ".join((m.get("answer") or "").split())[:110], style="italic")
                options.append(Option(prompt, id=str(m["id"])))
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
        from curator.store.runs import stage_ever_done

        conn = ctx.store.conn()
        report = explain_pair(conn, pair_id, FilterSettings.from_config(ctx.ws.config["filters"]))
        report["filter_ran"] = stage_ever_done(conn, "filter")
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
    if report["measurements"]:
        measured: Any = table
    elif report.get("filter_ran"):
        measured = Text("no filter flagged this pair: it passed every filter that ran (or it was added after the "
                        "last filter run; F2 runs the filters again)", style="green")
    else:
        measured = Text("no measurement yet: the filters never ran on this workspace; run the filter stage (F2)",
                        style="dim")
    body = Group(verdict, Text(), measured,
                 Text(), Text("keeper policy: " + "; ".join(report["keeper_policy"]), style="dim"))
    screen.app.push_screen(MessageDialog(f"Why pair {pair_id} is flagged", body))


def calibration(screen: Any) -> None:
    """The judge against the reviewers (curator judge calibrate) computed now, off the screen's thread; the
    panel beside the pair shows it. Called when the panel opens and after every write while it is open, so
    the numbers follow the decisions (this reviewer's and other processes')."""
    ctx = screen.ctx

    def run() -> None:
        from curator.filters.calibrate import calibrate
        from curator.filters.settings import FilterSettings

        result = calibrate(ctx.store.conn(), FilterSettings.from_config(ctx.ws.config["filters"]))
        screen.post_message(Written("calibration", None, result))
    start_work(screen, run, description="comparing the judge with the reviewers", group="calibration",
               exclusive=True)


def calibration_report(result: Any) -> Group:
    """What the panel reads: counts, the confusion table at today's limit, agreement, kappa, pi, a proposal;
    without a pair both judged and decided, what to do to get one."""
    head = Text("Judge vs reviewers\n", style="bold") + Text(f"judged pairs {result.judged:,}\ndecided by a reviewer {result.decided:,}\n"
                f"both {result.both:,}")
    if not result.both:
        return Group(head, Text(), Text("Nothing to compare yet: run the judge (the filter stage with the judge "
                                        "on, or `curator filter --only judge`) and accept or reject some of the "
                                        "pairs it scored.", style="dim"))
    table = Table(title=f"judge at judge_min_quality = {result.threshold}", show_edge=False)
    for col, justify in (("reviewer \\ judge", "left"), ("pass", "right"), ("fail", "right")):
        table.add_column(col, justify=justify)
    for name, row in zip(("accept", "reject"), result.table):
        table.add_row(name, f"{row[0]:,}", f"{row[1]:,}")
    fmt = lambda v: "-" if v is None else f"{v:.3f}"
    scores = Text(f"agreement {fmt(result.scores['agreement'])}\nCohen's kappa {fmt(result.scores['cohen_kappa'])}"
                  f"\nScott's pi {fmt(result.scores['scott_pi'])}")
    p = result.proposed
    if p and p["threshold"] != result.threshold:
        proposal = Text(f"proposed judge_min_quality = {p['threshold']} (kappa {fmt(p.get('cohen_kappa'))}): the "
                        "threshold that best matches the reviewers; set it in curator.toml [filters]", style="bold")
    elif p:
        proposal = Text("today's judge_min_quality matches the reviewers best", style="green")
    else:
        proposal = Text("kappa is undefined on these decisions (all one way): no threshold to propose", style="dim")
    return Group(head, Text(), table, Text(), scores, Text(), proposal)
