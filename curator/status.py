"""What `curator status` reports: the store's counts per stage, the last errors, and the workspace's health."""

from __future__ import annotations

from typing import Any

from curator import __version__
from curator.llm.usage import usage_report
from curator.secrets import redact_data
from curator.store import current_version, integrity_problems, latest_version
from curator.store.catalog import content_problems
from curator.store.runs import mark_interrupted_runs
from curator.store.summary import workspace_summary
from curator.workspace import Workspace


def workspace_status(ws: Workspace, *, check: bool = False) -> dict[str, Any]:
    conn = ws.connect()
    try:
        mark_interrupted_runs(conn)
        report: dict[str, Any] = {
            "workspace": str(ws.root),
            "curator_version": __version__,
            "schema_version": current_version(conn),
            "schema_latest": latest_version(),
            "llm": _endpoint_view(ws.config["llm"]),
            "moderation": "on (OpenAI moderation endpoint)" if ws.config["llm"]["backend"] == "openai"
            else "off (needs an OpenAI endpoint)",
            **workspace_summary(conn),
            "llm_usage": usage_report(conn, ws.config["llm"]),
        }
        if check:
            problems = integrity_problems(conn)
            if not problems:  # stored hashes are only worth comparing in a database SQLite can read
                problems = content_problems(conn) + _version_problems(ws, conn)
            report["integrity"] = {"ok": not problems, "problems": problems}
        # rows written before redaction existed (or by another tool) are blanked out on the way to the screen
        return redact_data(report)
    finally:
        conn.close()


def _version_problems(ws: Workspace, conn: Any) -> list[str]:
    """Each recorded version's files against the checksums in its manifest (curator version verify)."""
    from curator.store.versions import list_versions
    from curator.versions import verify_version

    problems = []
    for version in list_versions(conn):
        problems += [f"version {version['id']}: {p}" for p in verify_version(ws, version["id"]).problems]
    return problems


def _endpoint_view(llm: dict[str, Any]) -> dict[str, Any]:
    """Endpoint settings as shown to the user: the key's variable name, never its value."""
    return {
        "base_url": llm["base_url"] or "(bundled local model, started on demand)",
        "backend": llm["backend"],
        "model": llm["model"],
        "api_key_env": llm["api_key_env"],
    }
