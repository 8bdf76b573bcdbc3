"""`curator pair ...`: every review action of the app as a command, on the same library calls.

list / show read; accept, reject, edit, restore, undo and regenerate write, each as the
reviewer (`--reviewer`, default the workspace's `[workspace].reviewer`, else the login
name). Several reviewers at once: `--expect-status` / `--expect-revision` say what you saw
(from `list` or `show`); a pair that changed since is refused (exit 4) and nothing is
written. Without `--expect-status`, a decision never replaces one another reviewer made.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.errors import CuratorError

pair_app = typer.Typer(help="Review pairs from the command line: list, show, accept, reject, edit, undo, restore, "
                       "regenerate (what the review app does, for scripts and several reviewers).",
                       no_args_is_help=True)

ReviewerOpt = Annotated[str | None, typer.Option("--reviewer", help="Who decides (default: [workspace].reviewer, "
                                                 "else the login name); the audit log names them.",
                                                 show_default=False)]
ExpectStatusOpt = Annotated[str | None, typer.Option(
    "--expect-status", help="The status you saw (pending, accepted, rejected): refused if the pair has another "
    "one now.", show_default=False)]
ExpectRevisionOpt = Annotated[int | None, typer.Option(
    "--expect-revision", help="The revision you saw: refused if the pair is another revision now.",
    show_default=False)]
IdsArg = Annotated[list[int], typer.Argument(help="Pair ids.", show_default=False)]

_STATUS = ("pending", "accepted", "rejected", "superseded", "all")


def _reviewer(ws: Any, given: str | None) -> str:
    return (given or "").strip() or ws.reviewer


def _check_expect(expect_status: str | None) -> None:
    if expect_status is not None and expect_status not in ("pending", "accepted", "rejected"):
        raise typer.BadParameter(f"{expect_status!r} is not one of pending, accepted, rejected",
                                 param_hint="--expect-status")


def _finish(results: list[dict[str, Any]], as_json: bool, key: str = "pairs") -> None:
    """Print the per-pair outcomes; exit 4 when any was stale, 1 when any failed otherwise."""
    from curator.store.review_actions import StaleDecision

    if as_json:
        emit_json({key: results})
    else:
        for r in results:
            if r.get("error"):
                err.print(f"[bold red]error:[/] {escape(r['error'])}", highlight=False)
            else:
                out.print(escape(r["message"]), highlight=False)
    codes = [r.get("exit_code", 0) for r in results]
    if any(codes):
        raise typer.Exit(StaleDecision.exit_code if StaleDecision.exit_code in codes else max(codes))


def _each(ids: list[int], fn: Any) -> list[dict[str, Any]]:
    results = []
    for pair_id in ids:
        try:
            results.append({"id": pair_id, **fn(pair_id)})
        except CuratorError as exc:
            results.append({"id": pair_id, "error": str(exc), "exit_code": exc.exit_code})
    return results


@pair_app.command("list")
def list_pairs(
    status: Annotated[str, typer.Option("--status", help="pending, accepted, rejected, superseded or all (every "
                                        "current pair).")] = "pending",
    origin: Annotated[str | None, typer.Option("--origin", help="llm, glossary, exam or import.",
                                               show_default=False)] = None,
    flag: Annotated[str | None, typer.Option("--flag", help="A flag kind (duplicate, judge, eval_low, ...), any, or "
                                             "none.", show_default=False)] = None,
    search: Annotated[str, typer.Option("--search", "-s", help="Words in the question or answer.")] = "",
    source: Annotated[int | None, typer.Option("--source", help="Only pairs of this source id.",
                                               show_default=False)] = None,
    cluster: Annotated[int | None, typer.Option("--cluster", help="Only members of this duplicate cluster.",
                                                show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many pairs.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many first.")] = 0,
    order: Annotated[str, typer.Option("--order", help="id, or uncertain: where the judge, similar pairs' "
                                       "decisions, eval_low, conflicts and rule limits disagree first.")] = "id",
    as_json: JsonOpt = False,
) -> None:
    """The pairs a filter keeps (the app's filters), with their status, origin and flags; superseded pairs say
    what replaced them."""
    if order not in ("id", "uncertain"):
        raise typer.BadParameter(f"{order!r} is not id or uncertain", param_hint="--order")
    from curator.store.pairs import answers_of
    from curator.store.review_queries import ReviewFilter, matching_ids, row_summaries

    if status not in _STATUS:
        raise typer.BadParameter(f"{status!r} is not one of {', '.join(_STATUS)}", param_hint="--status")
    f = ReviewFilter(status=status, origin=origin, flag=flag, text=search.strip(), source_id=source,
                     cluster_id=cluster)
    ws = current_workspace()
    conn = ws.connect()
    try:
        ids = matching_ids(conn, f)
        doubts = {}
        if order == "uncertain":  # curator.filters.calibrate.uncertain_first, restricted to the filter's pairs
            from curator.filters.calibrate import uncertain_first
            from curator.filters.settings import FilterSettings

            ranked = uncertain_first(conn, FilterSettings.from_config(ws.config["filters"]),
                                     status=status if status in ("pending", "accepted", "rejected") else "all")
            keep = {int(i) for i in ids}
            doubts = {d.pair_id: d for d in ranked if d.pair_id in keep}
            ids = list(doubts) + sorted(keep - set(doubts))
        page = [int(i) for i in ids[offset:offset + limit]]
        rows = row_summaries(conn, page)
        answers = answers_of(conn, page)
    finally:
        conn.close()
    pairs = []
    for pair_id in page:
        r = rows[pair_id]
        item = {"id": pair_id, "question": r["question"], "answer": answers.get(pair_id, ""), "status": r["status"],
                "origin": r["origin"], "revision": r["revision"], "language": r["language"],
                "flags": [{"kind": k, "score": s} for k, s in r["flags"]]}
        if r["status"] == "superseded":
            item["replaced_by"] = r.get("replaced_by", [])
        if pair_id in doubts:
            item.update(uncertainty=round(doubts[pair_id].score, 3), signals=doubts[pair_id].signals)
        pairs.append(item)
    if as_json:
        emit_json({"filter": f.as_dict(), "order": order, "total": int(len(ids)), "offset": offset, "pairs": pairs})
        return
    table = Table(title=f"{len(ids):,} pair(s) · {f.describe()}", show_edge=False)
    for col in ("id", "status", "origin", "rev", "question", "flags"):
        table.add_column(col)
    for p in pairs:
        status_text = p["status"] + (f" → {', '.join(map(str, p['replaced_by']))}" if p.get("replaced_by") else "")
        table.add_row(str(p["id"]), status_text, p["origin"], str(p["revision"]), escape(" ".join(p["question"].split())[:80]),
                      " ".join(fl["kind"] for fl in p["flags"]))
    out.print(table)
    if len(ids) > offset + len(pairs):
        out.print(f"(showing {offset + 1}-{offset + len(pairs)}; --offset {offset + len(pairs)} for more)")


@pair_app.command("show")
def show(pair_id: Annotated[int, typer.Argument(help="The pair id.")], as_json: JsonOpt = False) -> None:
    """One pair with its chunk, flags, duplicate clusters, revisions, what replaced it, and its history."""
    from curator.store.review_actions import replaced_by
    from curator.store.review_queries import pair_detail

    ws = current_workspace()
    conn = ws.connect()
    try:
        detail = pair_detail(conn, pair_id, history_limit=1000)
        if detail is None:
            raise CuratorError(f"pair {pair_id} does not exist")
        detail["replaced_by"] = replaced_by(conn, pair_id) if detail["pair"]["status"] == "superseded" else []
    finally:
        conn.close()
    if as_json:
        emit_json(detail)
        return
    p = detail["pair"]
    out.print(f"[bold]pair {p['id']}[/] · {p['status']} · {p['origin']} · revision {p['revision']}"
              + (f" · replaced by {', '.join(map(str, detail['replaced_by']))}" if detail["replaced_by"] else ""))
    out.print(f"[bold]Q[/] {escape(p['question'])}")
    out.print(f"[bold]A[/] {escape(p['answer'])}")
    if p.get("evidence"):
        out.print(f"[dim]evidence: {escape(p['evidence'])}[/]")
    for fl in detail["flags"]:
        out.print(f"  flag {fl['kind']} {fl['score'] if fl['score'] is not None else ''} {escape(fl['reason'] or '')}")
    out.print("[bold]history[/]")
    for h in detail["history"]:
        out.print(f"  {h['created_at'][:19]} {h['action']:<10} {escape(h['actor'])}"
                  + (f"  ({escape(h['reason'])})" if h.get("reason") else ""))


def _decide_cmd(ids: list[int], status: str, reviewer: str | None, reason: str | None, expect_status: str | None,
                expect_revision: int | None, as_json: bool) -> None:
    from curator.store.review_actions import decide

    _check_expect(expect_status)
    ws = current_workspace()
    actor = _reviewer(ws, reviewer)
    conn = ws.connect()
    try:
        def one(pair_id: int) -> dict[str, Any]:
            before = decide(conn, pair_id, status, actor, reason=reason, expect_status=expect_status,
                            expect_revision=expect_revision, protect_others=True)
            return {"status": status, "before": before, "reviewer": actor,
                    "message": f"pair {pair_id}: {before} → {status} ({actor})"}
        results = _each(ids, one)
    finally:
        conn.close()
    _finish(results, as_json)


@pair_app.command("accept")
def accept(ids: IdsArg, reviewer: ReviewerOpt = None, expect_status: ExpectStatusOpt = None,
           expect_revision: ExpectRevisionOpt = None, as_json: JsonOpt = False) -> None:
    """Accept pairs (each in its own transaction, with its audit row)."""
    _decide_cmd(ids, "accepted", reviewer, None, expect_status, expect_revision, as_json)


@pair_app.command("reject")
def reject(ids: IdsArg,
           reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")] = "",
           reviewer: ReviewerOpt = None, expect_status: ExpectStatusOpt = None,
           expect_revision: ExpectRevisionOpt = None, as_json: JsonOpt = False) -> None:
    """Reject pairs, with a reason."""
    _decide_cmd(ids, "rejected", reviewer, reason.strip() or None, expect_status, expect_revision, as_json)


@pair_app.command("edit")
def edit(pair_id: Annotated[int, typer.Argument(help="The pair id.")],
         question: Annotated[str | None, typer.Option("--question", help="The new question (default: unchanged).",
                                                      show_default=False)] = None,
         answer: Annotated[str | None, typer.Option("--answer", help="The new answer (default: unchanged).",
                                                    show_default=False)] = None,
         reviewer: ReviewerOpt = None, expect_status: ExpectStatusOpt = None,
         expect_revision: ExpectRevisionOpt = None, as_json: JsonOpt = False) -> None:
    """Edit a pair: a new revision with the same lineage; the old one stays, superseded."""
    from curator.store.pairs import get_pair
    from curator.store.review_actions import save_edit

    if question is None and answer is None:
        raise typer.BadParameter("give --question, --answer or both", param_hint="--question / --answer")
    _check_expect(expect_status)
    ws = current_workspace()
    actor = _reviewer(ws, reviewer)
    conn = ws.connect()
    try:
        def one(pid: int) -> dict[str, Any]:
            old = get_pair(conn, pid)
            if old is None:
                raise CuratorError(f"pair {pid} does not exist")
            new_id = save_edit(conn, pid, actor, question=question if question is not None else old["question"],
                               answer=answer if answer is not None else old["answer"], expect_status=expect_status,
                               expect_revision=expect_revision, protect_others=True)
            return {"new_id": new_id, "reviewer": actor,
                    "message": f"pair {pid} edited: the new revision is pair {new_id} ({actor})"}
        results = _each([pair_id], one)
    finally:
        conn.close()
    _finish(results, as_json)


@pair_app.command("restore")
def restore(ids: IdsArg, reviewer: ReviewerOpt = None, as_json: JsonOpt = False) -> None:
    """Bring superseded pairs back (`curator pair list --status superseded` lists them, with what replaced
    them)."""
    from curator.store.review_actions import restore as restore_pair

    ws = current_workspace()
    actor = _reviewer(ws, reviewer)
    conn = ws.connect()
    try:
        def one(pair_id: int) -> dict[str, Any]:
            r = restore_pair(conn, pair_id, actor)
            return {"current_id": r.current_id, "status": r.status, "replaced_by": r.replaced_by,
                    "reviewer": actor, "message": r.description}
        results = _each(ids, one)
    finally:
        conn.close()
    _finish(results, as_json)


@pair_app.command("undo")
def undo(action: Annotated[int | None, typer.Option("--action", help="Undo this older action (an id from "
                                                    "--list) instead of the last one.", show_default=False)] = None,
         list_: Annotated[bool, typer.Option("--list", help="List your actions that can be undone, newest "
                                             "first, and change nothing.")] = False,
         reviewer: ReviewerOpt = None, as_json: JsonOpt = False) -> None:
    """Undo your last action (a decision, edit, restore, bulk decision, kept regeneration or keeper choice) and
    say what was undone. A pair someone changed since is left as it is."""
    from curator.review.actions import undo as undo_action
    from curator.store.review_actions import undo_stack

    ws = current_workspace()
    actor = _reviewer(ws, reviewer)
    conn = ws.connect()
    try:
        if list_:
            stack = undo_stack(conn, actor)
            if as_json:
                emit_json({"reviewer": actor, "actions": stack})
            else:
                if not stack:
                    out.print(f"{actor} has nothing to undo.")
                for e in stack:
                    out.print(f"{e['id']:>8}  {e['at'][:19]}  {escape(e['description'])}")
            return
        result = undo_action(conn, actor, ws.config.get("filters", {}), review_id=action)
    finally:
        conn.close()
    if as_json:
        emit_json({"reviewer": actor, "action": result.action, "review_id": result.review_id,
                   "pair_ids": result.pair_ids, "replaced": {str(k): v for k, v in result.replaced.items()},
                   "skipped": result.skipped, "description": result.description})
    else:
        out.print(escape(result.description[0].upper() + result.description[1:]) + ".")


def _print_preview(preview: Any) -> None:
    out.print(f"[bold]regeneration {preview.id}[/] of {preview.target} "
              f"{preview.pair_id if preview.pair_id is not None else preview.chunk_id} (chunk {preview.chunk_id}, "
              f"attempt {preview.attempt})")
    out.print("[bold]now[/]")
    for o in preview.old:
        mark = "replace" if o["replace"] else "keep   "
        out.print(f"  {mark} #{o['id']} {o['status']} r{o['revision']}  {escape(o['question'])}")
    out.print("[bold]new[/]")
    if not preview.candidates:
        out.print("  (the model returned no pair)")
    for i, c in enumerate(preview.candidates):
        out.print(f"  [{i}] Q {escape(c['question'])}")
        out.print(f"      A {escape(c['answer'])}")


def _int_list(text: str | None, hint: str) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.replace(",", " ").split()]
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a list of numbers like 0,2", param_hint=hint) from None


@pair_app.command("regenerate")
def regenerate(
    pair_id: Annotated[int | None, typer.Argument(help="The pair to regenerate (an LLM-made pair).",
                                                  show_default=False)] = None,
    chunk: Annotated[int | None, typer.Option("--chunk", help="Regenerate this chunk instead: its pending pairs "
                                              "are replaced.", show_default=False)] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Keep the new pairs without a preview.")] = False,
    keep: Annotated[str | None, typer.Option("--keep", help="Which new pairs to keep, by number (0,2); "
                                             "default all.", show_default=False)] = None,
    replace: Annotated[str | None, typer.Option("--replace", help="Which current pairs to supersede (ids); "
                                                "default the regenerated pair, or the chunk's pending "
                                                "unedited pairs. Accepted or edited pairs only when named "
                                                "here.", show_default=False)] = None,
    confirm: Annotated[int | None, typer.Option("--confirm", help="Keep the preview of this earlier "
                                                "regeneration (with --keep / --replace).",
                                                show_default=False)] = None,
    discard: Annotated[int | None, typer.Option("--discard", help="Drop the preview of this earlier "
                                                "regeneration; nothing changes.", show_default=False)] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Send the request to this OpenAI-compatible "
                                                 "endpoint instead of [llm].base_url.", show_default=False)] = None,
    reviewer: ReviewerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ask the model anew for a pair (or --chunk) and show the new pairs beside the old; nothing changes until
    you keep them (asked here, or --yes, or later with --confirm ID). Template-made pairs (glossary, exam,
    import) are refused."""
    from curator.store.regenerations import discard_regeneration, keep_regeneration

    ws = current_workspace()
    actor = _reviewer(ws, reviewer)
    keep_list, replace_list = _int_list(keep, "--keep"), _int_list(replace, "--replace")
    decided = confirm if confirm is not None else discard
    if sum(x is not None for x in (pair_id, chunk, decided)) != 1 or (confirm is not None and discard is not None):
        raise typer.BadParameter("give one of: a pair id, --chunk ID, --confirm ID, --discard ID")
    conn = ws.connect()
    try:
        if discard is not None:
            discard_regeneration(conn, discard, actor)
            _done({"regeneration": discard, "status": "discarded"}, f"regeneration {discard} discarded; nothing "
                  "changed", as_json)
            return
        if confirm is not None:
            kept = keep_regeneration(conn, confirm, actor, keep=keep_list, replace=replace_list)
            _done({**kept, "status": "kept"}, _kept_words(kept), as_json)
            return
    finally:
        conn.close()
    from curator.review.regenerate import regenerate_preview

    preview = regenerate_preview(ws, actor, pair_id=pair_id, chunk_id=chunk, base_url=base_url)
    if not as_json:
        _print_preview(preview)
    keep_now = yes
    if not yes and not as_json and sys.stdin.isatty() and preview.candidates:
        keep_now = typer.confirm("Keep the new pairs (and supersede those marked replace)?", default=False)
    conn = ws.connect()
    try:
        if keep_now:
            kept = keep_regeneration(conn, preview.id, actor, keep=keep_list, replace=replace_list)
            _done({**preview.as_dict(), **kept, "status": "kept"}, _kept_words(kept), as_json)
        else:
            _done({**preview.as_dict(), "status": "preview"},
                  f"nothing changed yet: `curator pair regenerate --confirm {preview.id}` keeps the new pairs, "
                  f"`--discard {preview.id}` drops them", as_json)
    finally:
        conn.close()


def _kept_words(kept: dict[str, Any]) -> str:
    gone = ", ".join(map(str, kept["superseded"])) or "none"
    return (f"kept {len(kept['kept'])} new pair(s) ({', '.join(map(str, kept['kept'])) or 'none'}); superseded: "
            f"{gone}. `curator pair undo` reverts it.")


def _done(document: dict[str, Any], words: str, as_json: bool) -> None:
    if as_json:
        emit_json(document)
    else:
        out.print(escape(words))
