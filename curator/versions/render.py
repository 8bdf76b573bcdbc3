"""Rich rendering of the version reports for the terminal (the --json form is the report itself)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from curator.versions.checkout import CheckoutResult
from curator.versions.create import CreatedVersion
from curator.versions.diff import VersionDiff
from curator.versions.verify import VerifyReport


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{escape(str(k))} {v:,}" for k, v in sorted(d.items(), key=lambda kv: -kv[1])) or "-"


def render_created(console: Console, result: CreatedVersion) -> None:
    m = result.manifest
    if not result.created:
        console.print(f"[yellow]No change:[/] these pairs are already version [bold]{result.id}[/] "
                      f"({result.pair_count:,} pairs, {escape(m['message'])!s}).")
        return
    split = m["counts"]["by_split"]
    console.print(f"[green]Created version[/] [bold]{result.id}[/]  {result.pair_count:,} pairs "
                  f"(train {split.get('train', 0):,}, test {split.get('test', 0):,})")
    console.print(f"  split    by {m['split'].get('group_by', 'pair')}; "
                  + _leak_text(m["counts"].get("leaked_test_pairs", 0)))
    console.print(f"  folder   {escape(str(result.path))}")
    console.print(f"  parent   {m['parent'] or '-'}")
    console.print(f"  origins  {_counts(m['counts']['by_origin'])}")
    if m["filters"]["excluded"]:
        console.print(f"  left out {_counts(m['filters']['excluded'])}")
    prefs = m.get("preferences")
    if prefs:
        console.print(f"  prefs    {prefs['pairs']:,} preference records ({_counts(prefs.get('pairs_by_split', {}))}), "
                      f"{prefs['negatives']:,} unpaired negatives: `--format dpo` or `kto` exports them")
    console.print(f"Next: [bold]curator export {result.id} --format openai[/] or "
                  f"[bold]curator version stats {result.id}[/].")


def _leak_text(leaked: int) -> str:
    if not leaked:
        return "no test pair shares a source item with a train pair"
    return (f"[yellow]{leaked:,} test pairs share a source item with a train pair[/] (their answer may be in a "
            "training prompt; set \\[split].group_by = \"item\")")


def render_list(console: Console, rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("No versions yet. Create one with [bold]curator version create -m MESSAGE[/].")
        return
    table = Table(title="Versions", title_justify="left")
    for col, justify in (("id", "left"), ("created", "left"), ("pairs", "right"), ("parent", "left"),
                         ("message", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(r["id"], r["created_at"][:19].replace("T", " "), f"{r['pair_count']:,}", r["parent_id"] or "-",
                      escape(r["message"]))
    console.print(table)


def render_show(console: Console, record: dict[str, Any]) -> None:
    m = record["manifest"]
    console.print(f"[bold]Version {m['id']}[/]  {escape(m['message'])}")
    console.print(f"  created {m['created_at']} by curator {m['curator_version']}; parent {m['parent'] or '-'}")
    console.print(f"  folder  {escape(record['path'])}")
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    c = m["counts"]
    table.add_row("pairs", f"{c['total']:,}")
    table.add_row("split", f"{_counts(c['by_split'])}  (seed {m['split']['seed']}, test_size "
                           f"{m['split']['test_size']}, by {m['split'].get('group_by', 'pair')}, held-out pairs: "
                           f"{m['split'].get('held_out', 'test')}); {_leak_text(c.get('leaked_test_pairs', 0))}")
    table.add_row("origins", _counts(c["by_origin"]))
    table.add_row("languages", _counts(c.get("by_language", {})))
    sources = c["by_source"]
    shown = dict(sorted(sources.items(), key=lambda kv: -kv[1])[:8])
    table.add_row("sources", _counts(shown) + (f" (+{len(sources) - 8} more)" if len(sources) > 8 else ""))
    f = m.get("filters", {})
    table.add_row("filters", f"statuses {', '.join(f.get('statuses', []))}; excluding flags "
                             f"{', '.join(f.get('exclude_flags', [])) or '-'}; judge below "
                             f"{f.get('judge_min_quality', '-')}")
    table.add_row("left out", _counts(f.get("excluded", {})))
    review = m.get("review", {})
    table.add_row("review", f"{_counts(review.get('by_decision', {}))}; reviewers "
                            f"{_counts(review.get('reviewers', {}))}")
    prefs = m.get("preferences")
    if prefs:
        table.add_row("preferences", f"{prefs['pairs']:,} records ({_counts(prefs.get('pairs_by_split', {}))}; "
                                     f"{_counts(prefs.get('pairs_by_kind', {}))}); {prefs['negatives']:,} unpaired "
                                     f"negatives ({_counts(prefs.get('negatives_by_split', {}))})")
    table.add_row("prompts", ", ".join(escape(p) for p in m.get("prompt_versions", [])) or "-")
    table.add_row("models", ", ".join(escape(p) for p in m.get("models", [])) or "-")
    table.add_row("files", ", ".join(f"{escape(x['path'])} ({x['bytes']:,} B)" for x in m["files"]
                                     if "/" not in x["path"]) + f"; {len(m['files'])} files in all")
    console.print(table)


def render_diff(console: Console, d: VersionDiff, limit: int | None) -> None:
    console.print(escape(d.summary))
    for title, frame, style in (("added", d.added, "green"), ("removed", d.removed, "red"),
                                ("changed", d.changed, "yellow")):
        if frame.height == 0:
            continue
        shown = frame if limit is None else frame.head(limit)
        more = "" if shown.height == frame.height else f", first {shown.height}"
        console.print(f"[bold {style}]{title}[/] ({frame.height:,}{more})")
        for row in shown.iter_rows(named=True):
            extra = f" [dim]{', '.join(row['fields'])}[/]" if title == "changed" else ""
            question = (row["question"] or "").replace("\n", " ")
            console.print(f"  {row['lineage_id']}{extra}  {escape(question[:100])}")


def render_verify(console: Console, report: VerifyReport) -> None:
    if report.ok:
        console.print(f"[green]OK[/] version {report.id}: {report.files_checked} files and "
                      f"{report.rows_checked:,} rows match the manifest and the id.")
        return
    console.print(f"[bold red]DAMAGED[/] version {report.id} ({escape(report.path)}):")
    for problem in report.problems:
        console.print(f"  - {escape(problem)}")


def render_checkout(console: Console, result: CheckoutResult) -> None:
    d = result.as_dict(limit=10)
    verb = "Would change" if result.dry_run else "Changed"
    console.print(f"{verb} {d['changed']:,} pairs to match version [bold]{result.version_id}[/]"
                  f" ({_counts(d['by_change'])}); {d['unchanged']:,} already matched.")
    if result.edited_since:
        console.print(f"  {len(result.edited_since):,} pairs of the version were edited since (their newer "
                      "revision is reviewed like any pair outside the version).")
    if result.missing:
        console.print(f"  [red]{len(result.missing):,} pairs of the version are not in this store.[/]")


def render_export(console: Console, report: dict[str, Any]) -> None:
    console.print(f"[green]Exported[/] version {report['version']} as {report['format']}:")
    for f in report["files"]:
        console.print(f"  {f['split']:<5} {f['rows']:>9,} rows  {escape(f['path'])}")
    if report["skipped_empty"]:
        console.print(f"  [dim]no file for the empty split(s): {', '.join(report['skipped_empty'])}[/]")
    if report.get("pushed_to"):
        console.print(f"  pushed to the Hub dataset {escape(report['pushed_to'])}")


def render_stats(console: Console, report: dict[str, Any]) -> None:
    console.print(f"[bold]Token lengths[/] of version {report['version']} ({report['rows']:,} pairs"
                  f"{', sampled' if report['sampled'] else ''}); {escape(report['method'])}")
    table = Table()
    cols = ("count", "mean", "min", "p50", "p90", "p95", "p99", "max")
    table.add_column("")
    for col in cols:
        table.add_column(col, justify="right")
    for name, s in report["lengths"].items():
        table.add_row(name, *(f"{s[c]:,}" if isinstance(s.get(c), int) else f"{s.get(c, '-')}" for c in cols))
    console.print(table)
    console.print(f"Suggested max_length: [bold]{report['suggested_max_length']}[/] "
                  f"({report['truncated_at_suggestion']:,} examples longer). Histogram: {escape(report['png'])}")
    prefs = report.get("preferences") or {}
    console.print(f"Preference records: {prefs.get('pairs', 0):,} ({_counts(prefs.get('pairs_by_split', {}))}; "
                  f"{_counts(prefs.get('pairs_by_kind', {})) or 'none'}); unpaired negatives: "
                  f"{prefs.get('negatives', 0):,} ({_counts(prefs.get('negatives_by_split', {}))})")
    leaks = report.get("split", {}).get("leaked_test_pairs", {})
    if leaks:
        console.print(f"Split by {report['split']['group_by']}: test pairs sharing a group with a train pair: "
                      + ", ".join(f"{n:,} by {level}" for level, n in leaks.items())
                      + " (by item should be 0: no test answer in a training prompt)")
