"""`curator version ...`, `curator export` and `curator bench versions`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.store.versions import get_version, list_versions
from curator.versions import (
    checkout_version,
    create_version,
    diff_versions,
    export_version,
    verify_version,
    version_stats,
)
from curator.versions.export import load_template, push_to_hub
from curator.versions.layout import resolve_version_id
from curator.versions.render import (
    render_checkout,
    render_created,
    render_diff,
    render_export,
    render_list,
    render_show,
    render_stats,
    render_verify,
)

version_app = typer.Typer(help="Immutable, content-addressed dataset versions: create, list, show, diff, verify.",
                          no_args_is_help=True)  # mounted as `curator version` by app.py
export_app = typer.Typer()  # `export`, mounted at the top level by app.py

IdArg = Annotated[str, typer.Argument(help="Version id, a unique prefix of it (4+ characters), or 'latest'.",
                                      show_default=False)]
TemplateOpt = Annotated[str | None, typer.Option(
    "--template", help="Prompt template, e.g. 'Answer as a customs expert: {question}'; fields {question} "
    "{context} {evidence} {language} {origin} {source_uri} {document_uri}; @PATH reads it from a file.",
    show_default=False)]


class Format(str, Enum):
    alpaca = "alpaca"
    sharegpt = "sharegpt"
    openai = "openai"
    trl = "trl"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    dpo = "dpo"
    kto = "kto"


class Split(str, Enum):
    all = "all"
    train = "train"
    test = "test"


@version_app.command("create")
def version_create(
    message: Annotated[str, typer.Option("--message", "-m", help="What this version is for (kept in the "
                                         "manifest and `version list`).", show_default=False)],
    include_pending: Annotated[bool, typer.Option("--include-pending", help="Also take pending (not yet "
                                                  "reviewed) pairs; rejected and superseded pairs never go in.")]
    = False,
    test_size: Annotated[float | None, typer.Option("--test-size", help="Fraction of pairs in the test split "
                                                    "(default \\[split].test_size).", show_default=False)] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Split seed (default \\[split].seed); keep it fixed so "
                                             "pairs keep their split across versions.", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Snapshot the accepted pairs that pass the filters into versions/<id>/ (parquet, HF DatasetDict, manifest).

    The id is a hash of the content: the same pairs give the same id, and creating it again changes nothing.
    """
    ws = current_workspace()
    if as_json:
        result = create_version(ws, message=message, include_pending=include_pending, test_size=test_size, seed=seed)
        emit_json({"id": result.id, "created": result.created, "path": str(result.path),
                   "pairs": result.pair_count, "manifest": result.manifest})
        return
    with err.status("creating the version") as status:
        result = create_version(ws, message=message, include_pending=include_pending, test_size=test_size,
                                seed=seed, on_step=lambda text: status.update(escape(text)))
    render_created(out, result)


@version_app.command("list")
def version_list(as_json: JsonOpt = False) -> None:
    """List the workspace's versions, oldest first, with their parent, size and message."""
    conn = current_workspace().connect()
    try:
        rows = list_versions(conn)
    finally:
        conn.close()
    if as_json:
        emit_json({"versions": rows})
    else:
        render_list(out, rows)


@version_app.command("show")
def version_show(version: IdArg, as_json: JsonOpt = False) -> None:
    """Show a version's manifest: counts by origin, source and split, filters, review, models, files."""
    conn = current_workspace().connect()
    try:
        record = get_version(conn, resolve_version_id(conn, version))
    finally:
        conn.close()
    if as_json:
        emit_json(record)
    else:
        render_show(out, record)


@version_app.command("diff")
def version_diff(
    a: Annotated[str, typer.Argument(help="The older version (id, prefix or 'latest').", show_default=False)],
    b: Annotated[str, typer.Argument(help="The newer version (id, prefix or 'latest').", show_default=False)],
    limit: Annotated[int, typer.Option("--limit", help="How many pairs to list per kind of change (0: all).")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Pairs added, removed and changed from A to B (matched by lineage id), with the fields that changed."""
    result = diff_versions(current_workspace(), a, b)
    if as_json:
        emit_json(result.as_dict(limit or None))
    else:
        render_diff(out, result, limit or None)


@version_app.command("verify")
def version_verify(version: IdArg, as_json: JsonOpt = False) -> None:
    """Recompute every hash of a version (files, rows, id) and compare with its manifest; exit 1 on tampering."""
    report = verify_version(current_workspace(), version)
    if as_json:
        emit_json(report.as_dict())
    else:
        render_verify(out, report)
    if not report.ok:
        raise typer.Exit(1)


@version_app.command("checkout")
def version_checkout(
    version: IdArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Set pair statuses to what the version holds (accepted pairs outside it go back to pending), for review.

    Every change is logged in the review log as 'checkout', in one transaction.
    """
    ws = current_workspace()
    result = checkout_version(ws, version, actor=ws.reviewer, dry_run=dry_run)
    if as_json:
        emit_json(result.as_dict())
    else:
        render_checkout(out, result)


@version_app.command("stats")
def version_stats_cmd(
    version: IdArg,
    tokenizer: Annotated[Path | None, typer.Option("--tokenizer", help="A local tokenizer folder (as saved by "
                                                   "save_pretrained) for exact token counts; without it counts are "
                                                   "approximate.", show_default=False)] = None,
    sample: Annotated[int, typer.Option("--sample", help="Measure a random sample of this many pairs (0: all).")]
    = 0,
    template: TemplateOpt = None,
    png: Annotated[Path | None, typer.Option("--png", help="Where to write the histogram (default "
                                             "exports/<id>/length_stats.png).", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Token length distributions of questions, answers and formatted examples, a histogram, and a max_length."""
    report = version_stats(current_workspace(), version, tokenizer=tokenizer, sample=sample,
                           template=load_template(template), png=png)
    if as_json:
        emit_json(report)
    else:
        render_stats(out, report)


@export_app.command("export")
def export(
    version: IdArg,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="alpaca (instruction/input/output), sharegpt "
                                        "(conversations), openai (chat messages), trl (prompt/completion), full "
                                        "records (jsonl, csv, parquet), or the version's preference records: dpo "
                                        "(prompt/chosen/rejected), kto (prompt/completion/label).",
                                        case_sensitive=False)] = Format.jsonl,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="A folder (one file per split: train.jsonl, "
                                                  "test.jsonl) or a file (.jsonl, .json, .csv, .parquet) holding "
                                                  "--split. Default exports/<id>/<format>/.", show_default=False)]
    = None,
    split: Annotated[Split, typer.Option("--split", help="Which split to write.", case_sensitive=False)] = Split.all,
    template: TemplateOpt = None,
    system: Annotated[str | None, typer.Option("--system", help="A system prompt for the chat formats.",
                                               show_default=False)] = None,
    context: Annotated[bool, typer.Option("--context", help="Include the source chunk's text (alpaca: as input; "
                                          "chat formats: before the question; records: a context column).")]
    = False,
    force: Annotated[bool, typer.Option("--force", help="Replace files that already exist.")] = False,
    push: Annotated[str | None, typer.Option("--push", help="Also upload to this Hugging Face Hub dataset repo "
                                             "(needs network and $HF_TOKEN).", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a version in the formats trainers read (the version is checked before it is read)."""
    result = export_version(current_workspace(), version, fmt.value, out=out_path, split=split.value,
                            template=load_template(template), system=system, context=context, force=force)
    if push:
        push_to_hub(result, push)
    report = {**result.as_dict(), "pushed_to": push}
    if as_json:
        emit_json(report)
    else:
        render_export(out, report)
