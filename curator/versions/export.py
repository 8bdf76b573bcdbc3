"""`curator export ID --format ...`: a version in the formats trainers read.

Instruction formats (alpaca, sharegpt, openai chat messages, TRL prompt/completion)
are built column-wise in polars from a prompt template, optionally with the source
chunk's text; full-record formats (jsonl, csv, parquet) carry every lineage column.
Output goes to one file per split in a folder (default exports/<id>/<format>/), or
to one file when --out names a file. Every target is checked before anything is
written; each file is written beside its target and all are renamed into place
at the end, so an export that fails writes nothing. An existing file is replaced
only with force, and no name can lead outside the chosen folder.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from curator.errors import CuratorError
from curator.versions.layout import CONTEXTS_FILE, DATA_FILE, inside
from curator.versions.verify import Version, open_version
from curator.workspace import Workspace

CHAT_FORMATS = ("alpaca", "sharegpt", "openai", "trl")
RECORD_FORMATS = ("jsonl", "csv", "parquet")
PREFERENCE_FORMATS = ("dpo", "kto")  # from the version's preference tables (curator.versions.preferences)
FORMATS = CHAT_FORMATS + RECORD_FORMATS + PREFERENCE_FORMATS
SPLITS = ("train", "test")
TEMPLATE_FIELDS = ("question", "context", "evidence", "language", "origin", "source_uri", "document_uri")
_SUFFIXES = {"jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}


class ExportError(CuratorError):
    pass


@dataclass
class ExportResult:
    version_id: str
    format: str
    files: list[dict[str, Any]] = field(default_factory=list)
    skipped_empty: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version_id, "format": self.format, "files": self.files,
                "skipped_empty": self.skipped_empty}


def parse_template(text: str) -> list[tuple[str, str | None]]:
    """[(literal, field or None)] of a prompt template using {question}, {context}, ... ({{ }} for braces)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ExportError(f"the template is not valid: {exc} (write {{{{ and }}}} for literal braces).") from exc
    out = []
    for literal, name, spec, conversion in parts:
        if name is not None and (name not in TEMPLATE_FIELDS or spec or conversion):
            raise ExportError(f"the template uses {{{name}{'!' + conversion if conversion else ''}"
                              f"{':' + spec if spec else ''}}}; it may use only "
                              + ", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS) + ".")
        out.append((literal, name))
    return out


def load_template(value: str | None) -> str | None:
    """A template given inline, or read from a file when the value is @PATH."""
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot read the template file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise ExportError(f"the template file {path} is not UTF-8 text ({exc}).") from exc


def render_prompt(parts: list[tuple[str, str | None]]) -> pl.Expr:
    pieces: list[pl.Expr] = []
    for literal, name in parts:
        if literal:
            pieces.append(pl.lit(literal))
        if name is not None:
            pieces.append(pl.col(name).cast(pl.String).fill_null(""))
    return pl.concat_str(pieces).str.strip_chars() if pieces else pl.lit("")


def _messages(system: str | None, roles: tuple[str, str, str], prompt: pl.Expr, answer: pl.Expr | None,
              key: str = "role", value: str = "content") -> pl.Expr:
    sys_role, user_role, assistant_role = roles
    turns = [pl.struct(**{key: pl.lit(sys_role), value: pl.lit(system)})] if system else []
    turns.append(pl.struct(**{key: pl.lit(user_role), value: prompt}))
    if answer is not None:
        turns.append(pl.struct(**{key: pl.lit(assistant_role), value: answer}))
    return pl.concat_list(turns)


def preference_rows(version: Version, fmt: str, context: bool) -> pl.DataFrame:
    """Rows for the dpo or kto format: question (the prompt), answer(s), split, and context when asked.

    dpo: one row per preference record (answer = chosen, rejected). kto: every pair of the version as a
    desirable completion, and every rejected answer (of a preference record, or a reasoned reject) as an
    undesirable one, each on the split of its record.
    """
    from curator.versions.preferences import read_tables

    pairs, negatives = read_tables(version.path)
    keep = ["question", "split", "chunk_id", "language"]
    if fmt == "dpo":
        if pairs.height == 0:
            raise ExportError(f"version {version.id} holds no preference records (edits, kept regenerations or "
                              "keeper choices made before it was created); `curator version show` counts them.")
        frame = pairs.rename({"prompt": "question", "chosen": "answer"}).select(*keep, "answer", "rejected")
    else:
        if pairs.height == 0 and negatives.height == 0:
            raise ExportError(f"version {version.id} holds no undesirable answers (preference records or rejects "
                              "with a reason); KTO needs some.")
        good = version.read(columns=["question", "answer", "split", "chunk_id", "language"]).select(*keep, "answer")
        bad_pairs = pairs.rename({"prompt": "question", "rejected": "answer"}).select(*keep, "answer")
        bad_negs = negatives.rename({"prompt": "question", "completion": "answer"}).select(*keep, "answer")
        frame = pl.concat([good.with_columns(label=pl.lit(True)),
                           bad_pairs.with_columns(label=pl.lit(False)),
                           bad_negs.with_columns(label=pl.lit(False))], how="vertical_relaxed")
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(f) for f in TEMPLATE_FIELDS
                               if f not in frame.columns and f != "context")
    if context:
        frame = frame.join(version.contexts(), on="chunk_id", how="left", maintain_order="left")
    return frame


def shape_rows(frame: pl.DataFrame, fmt: str, *, template: str | None, system: str | None,
               context: bool) -> pl.DataFrame:
    """The rows of one export format, from version rows (with a 'context' column when needed)."""
    if fmt in RECORD_FORMATS:
        return frame
    default = "{context}\n\n{question}" if context and fmt != "alpaca" else "{question}"
    parts = parse_template(template if template is not None else default)
    prompt = render_prompt(parts)
    answer = pl.col("answer")
    if fmt == "alpaca":
        uses_context = any(name == "context" for _, name in parts)
        extra = pl.col("context").fill_null("") if context and not uses_context else pl.lit("")
        columns = {"instruction": prompt, "input": extra, "output": answer}
        if system:
            columns = {"system": pl.lit(system), **columns}
        return frame.select(**columns)
    if fmt == "sharegpt":
        return frame.select(conversations=_messages(system, ("system", "human", "gpt"), prompt, answer,
                                                    key="from", value="value"))
    chat = ("system", "user", "assistant")
    if fmt == "dpo":  # TRL's conversational preference format
        return frame.select(prompt=_messages(system, chat, prompt, None),
                            chosen=pl.concat_list([pl.struct(role=pl.lit("assistant"), content=answer)]),
                            rejected=pl.concat_list([pl.struct(role=pl.lit("assistant"), content=pl.col("rejected"))]))
    if fmt == "kto":  # TRL's conversational unpaired preference format
        return frame.select(prompt=_messages(system, chat, prompt, None),
                            completion=pl.concat_list([pl.struct(role=pl.lit("assistant"), content=answer)]),
                            label=pl.col("label"))
    if fmt == "openai":
        return frame.select(messages=_messages(system, chat, prompt, answer))
    return frame.select(prompt=_messages(system, chat, prompt, None),
                        completion=pl.concat_list([pl.struct(role=pl.lit("assistant"), content=answer)]))


def _suffix(fmt: str, out: Path) -> str | None:
    """The file type --out names, or None when it names a folder."""
    ext = out.suffix.lower().lstrip(".")
    allowed = _file_types(fmt)
    if ext in allowed:
        return ext
    if ext in {"jsonl", "json", "csv", "parquet"}:
        raise ExportError(f"--out {out} names a .{ext} file, but --format {fmt} writes "
                          + " or ".join(f".{a}" for a in sorted(allowed)) + " files.")
    return None


def _file_types(fmt: str) -> set[str]:
    """The file types a single-file --out may name for this format."""
    return {"jsonl", "json"} if fmt in CHAT_FORMATS + PREFERENCE_FORMATS or fmt == "jsonl" else {_SUFFIXES[fmt]}


def _check_target(path: Path, force: bool) -> None:
    """Refuse a target before anything is written: an existing file without force, a folder, no way to create it."""
    if path.is_dir():
        raise ExportError(f"{path} is a folder; choose another --out.")
    if path.exists() and not force:
        raise ExportError(f"{path} already exists; pass --force to replace it.")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ExportError(f"cannot write {path}: {ancestor} is a file, not a folder; choose another --out.")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: {ancestor} is not writable; choose another --out.")


def _write_all(planned: list[tuple[Path, pl.DataFrame, str]], force: bool) -> list[dict[str, Any]]:
    """Write every (path, rows, type) or none: all targets checked first, each written to a temporary file
    beside it, and the temporary files renamed into place only once every one of them is complete."""
    for path, _, _ in planned:
        _check_target(path, force)
    made: list[Path] = []      # folders this export created, removed again if it fails
    temps: list[Path] = []
    done = False
    try:
        for path, frame, ext in planned:
            _make_folder(path.parent, made)
            tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
            temps.append(tmp)
            try:
                _write_frame(frame, tmp, ext)
            except OSError as exc:
                raise ExportError(f"cannot write {path}: {exc.strerror or exc}; nothing was exported.") from exc
        for (path, _, _), tmp in zip(planned, temps):
            os.replace(tmp, path)
        done = True
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        if not done:
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
    return [{"path": str(path), "rows": frame.height, "bytes": path.stat().st_size} for path, frame, _ in planned]


def _make_folder(folder: Path, made: list[Path]) -> None:
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for step in reversed(missing):
        try:
            step.mkdir()
        except FileExistsError:
            if not step.is_dir():
                raise ExportError(f"cannot create the folder {step}: a file of that name is in the way; "
                                  "nothing was exported.") from None
            continue
        except OSError as exc:
            raise ExportError(f"cannot create the folder {step}: {exc.strerror or exc}; nothing was exported.") \
                from exc
        made.append(step)


def _write_frame(frame: pl.DataFrame, path: Path, ext: str) -> None:
    if ext == "jsonl":
        frame.write_ndjson(path)
    elif ext == "json":
        frame.write_json(path)
    elif ext == "csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)


def _version_rows(version: Version, context: bool) -> pl.DataFrame:
    frame = version.read()
    if context:
        frame = frame.join(version.contexts(), on="chunk_id", how="left", maintain_order="left")
    return frame


def export_version(ws: Workspace, ref: str, fmt: str, *, out: Path | None = None, split: str = "all",
                   template: str | None = None, system: str | None = None, context: bool = False,
                   force: bool = False) -> ExportResult:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    if split not in (*SPLITS, "all"):
        raise ExportError(f"unknown split {split!r}; choose train, test or all.")
    if template is not None:
        parse_template(template)  # refuse a bad template before reading anything
        context = context or "{context}" in template
    if fmt in PREFERENCE_FORMATS:
        from curator.versions.preferences import NEGATIVES_FILE, PREFERENCES_FILE

        files = (DATA_FILE, PREFERENCES_FILE, NEGATIVES_FILE) + ((CONTEXTS_FILE,) if context else ())
        version = open_version(ws, ref, files=files)
        rows = preference_rows(version, fmt, context)
    else:
        version = open_version(ws, ref, files=(DATA_FILE, CONTEXTS_FILE) if context else (DATA_FILE,))
        rows = _version_rows(version, context)
    result = ExportResult(version_id=version.id, format=fmt)
    target = Path(out) if out is not None else ws.path("exports") / version.id / fmt
    ext = _suffix(fmt, target)
    if ext is not None:  # one file holding the chosen split(s)
        chosen = rows if split == "all" else rows.filter(pl.col("split") == split)
        shaped = shape_rows(chosen, fmt, template=template, system=system, context=context)
        (written,) = _write_all([(target.resolve(), shaped, ext)], force)
        result.files.append({"split": split, **written})
        return result
    if target.exists() and not target.is_dir():
        raise ExportError(f"--out {target} is an existing file, not a folder; name a folder, or a file ending in "
                          + " or ".join(f".{t}" for t in sorted(_file_types(fmt))) + ".")
    ext = _SUFFIXES.get(fmt, "jsonl")
    planned, names = [], []
    for name in (SPLITS if split == "all" else (split,)):
        part = rows.filter(pl.col("split") == name)
        if part.height == 0:
            result.skipped_empty.append(name)
            continue
        planned.append((inside(target, f"{name}.{ext}"),
                        shape_rows(part, fmt, template=template, system=system, context=context), ext))
        names.append(name)
    for name, written in zip(names, _write_all(planned, force)):
        result.files.append({"split": name, **written})
    return result


def push_to_hub(result: ExportResult, repo: str, *, private: bool = True) -> None:
    """Upload exported files as a Hub dataset repo (needs network and a token in $HF_TOKEN)."""
    import datasets

    loader = {"jsonl": "json", "csv": "csv", "parquet": "parquet"}
    files = {f["split"]: f["path"] for f in result.files if f["split"] in SPLITS}
    if not files:
        raise ExportError("--push needs a per-split export (a folder for --out, not a single file).")
    kind = loader[Path(next(iter(files.values()))).suffix.lstrip(".")]
    dataset = datasets.load_dataset(kind, data_files=files)
    dataset.push_to_hub(repo, private=private)
