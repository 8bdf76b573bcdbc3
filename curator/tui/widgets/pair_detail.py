"""The detail of the pair under the cursor: the pair itself, and beside it the source chunk it came from."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from curator.tui.widgets.pair_list import format_time


def _label(text: str) -> Text:
    return Text(text, style="bold")


def _line(*parts: tuple[str, str] | str) -> Text:
    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(part[0], part[1])
        else:
            out.append(part)
    return out


class PairDetail(VerticalScroll, can_focus=True):
    """Question, answer, evidence, flags with reasons and scores, duplicate clusters, lineage and history."""

    DEFAULT_CSS = """
    PairDetail { height: 1fr; padding: 0 1; }
    PairDetail > Static { width: 1fr; }
    """

    def compose(self):
        yield Static(id="pair-body")

    def show(self, detail: dict[str, Any] | None) -> None:
        self.query_one("#pair-body", Static).update(self.render_detail(detail))
        self.scroll_home(animate=False)

    @staticmethod
    def render_detail(detail: dict[str, Any] | None) -> Group | Text:
        if detail is None:
            return Text("No pair here. Change the filter (f, or 1-4 for a status) or add material.", style="dim")
        pair = detail["pair"]
        status_style = {"accepted": "green", "rejected": "red", "superseded": "dim strike"}.get(pair["status"], "")
        parts: list[Any] = [_line(("Pair ", "bold"), (str(pair["id"]), "bold"), f" · revision {pair['revision']} · ",
                                  (pair["status"], status_style), f" · {pair['origin']}",
                                  f" · {pair['language'] or '?'}")]
        if pair["status_reason"]:
            parts.append(_line(("  reason: ", "dim"), pair["status_reason"]))
        parts += [Text(), _label("Q"), Text(pair["question"]), Text(), _label("A"), Text(pair["answer"])]
        if pair["evidence"]:
            score = f" (found {pair['evidence_score']:.0f}/100)" if pair["evidence_score"] is not None else ""
            parts += [Text(), _line(("Evidence", "bold"), (score, "dim")), Text(f"“{pair['evidence']}”", "italic")]
        parts += PairDetail._flags(detail["flags"])
        for cluster in detail["clusters"]:
            parts += PairDetail._cluster(cluster, pair["id"])
        parts += PairDetail._lineage(detail["chain"], pair["id"])
        parts += PairDetail._history(detail["history"])
        return Group(*parts)

    @staticmethod
    def _flags(flags: list[dict[str, Any]]) -> list[Text]:
        if not flags:
            return [Text(), _line(("Flags ", "bold"), ("none", "dim"))]
        out = [Text(), _label("Flags")]
        for fl in flags:
            score = f" {fl['score']:g}" if fl["score"] is not None else ""
            cluster = f" (cluster {fl['cluster_id']})" if fl["cluster_id"] is not None else ""
            out.append(_line("  ", (fl["kind"], "yellow"), score, cluster, ("  " + (fl["reason"] or ""), "dim")))
        return out

    @staticmethod
    def _cluster(cluster: dict[str, Any] | None, pair_id: int) -> list[Text]:
        if cluster is None:
            return []
        out = [Text(), _line(("Duplicate cluster ", "bold"), (str(cluster["id"]), "bold"),
                             f" ({cluster['kind']}), keeper {cluster['keeper_id']} chosen by {cluster['keeper_by']}"
                             "  · d: open it")]
        for m in cluster["members"]:
            mark = "★" if m["keeper"] else " "
            this = "  ← this pair" if m["id"] == pair_id else ""
            out.append(_line(f"  {mark} {m['id']:>8} ", (f"{m['status']:<9}", "dim"),
                             " ".join(m["question"].split())[:80], (this, "dim")))
        return out

    @staticmethod
    def _lineage(chain: list[dict[str, Any]], pair_id: int) -> list[Text]:
        lineage = chain[0]["lineage_id"] if chain else "?"
        out = [Text(), _line(("Lineage ", "bold"), lineage, (f"  {len(chain)} revision(s)", "dim"))]
        if len(chain) <= 1:
            return out
        for r in chain:
            this = "  ← this one" if r["id"] == pair_id else ""
            out.append(_line(f"  r{r['revision']} #{r['id']} ", (f"{r['status']:<10} ", "dim"),
                             " ".join(r["question"].split())[:70], (this, "dim")))
        return out

    @staticmethod
    def _history(history: list[dict[str, Any]]) -> list[Text]:
        if not history:
            return []
        out = [Text(), _label("History")]
        for h in history:
            when = (h["created_at"] or "")[:19].replace("T", " ")
            reason = f"  {h['reason']}" if h["reason"] else ""
            out.append(_line((f"  {when} ", "dim"), (f"{h['action']:<10}", "cyan"), h["actor"], (reason, "dim")))
        return out


class SourcePane(VerticalScroll, can_focus=True):
    """The chunk the pair came from, with the evidence span highlighted, and where the chunk came from."""

    DEFAULT_CSS = """
    SourcePane { height: 1fr; padding: 0 1; }
    SourcePane > Static { width: 1fr; }
    """

    def compose(self):
        yield Static(id="source-body")

    def show(self, detail: dict[str, Any] | None) -> None:
        self.query_one("#source-body", Static).update(self.render_source(detail))
        self.scroll_home(animate=False)

    @staticmethod
    def render_source(detail: dict[str, Any] | None) -> Group | Text:
        if detail is None:
            return Text("")
        pair, chunk, doc, source = detail["pair"], detail["chunk"], detail["document"], detail["source"]
        parts: list[Any] = []
        if source:
            parts.append(_line(("Source ", "bold"), f"{source['uri']}", (f"  ({source['doc_kind'] or source['kind']})",
                                                                          "dim")))
        if doc:
            title = f" “{doc['title']}”" if doc["title"] else ""
            parts.append(_line(("Document ", "bold"), f"{doc['id']}{title}", (f"  {doc['uri']}", "dim")))
        if chunk is None:
            parts.append(Text(f"No source chunk: this pair came from a {pair['origin']} record.", style="dim"))
            return Group(*parts)
        span = ""
        if chunk["time_start"] is not None:
            span = f" · {format_time(chunk['time_start'])}–{format_time(chunk['time_end'])}"
        parts.append(_line(("Chunk ", "bold"), f"{chunk['id']} (#{chunk['seq']}){span}"))
        parts.append(Text())
        body = Text(chunk["text"])
        start, end = pair["evidence_start"], pair["evidence_end"]
        if start is not None and end is not None and 0 <= start < end <= len(chunk["text"]):
            body.stylize("bold black on yellow", start, end)
        elif pair["evidence"]:
            parts.append(Text("(the evidence was not found in this chunk)", style="dim italic"))
        parts.append(body)
        return Group(*parts)
