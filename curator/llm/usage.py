"""Usage accounting for `curator status`: calls, tokens, latency percentiles, errors by kind, estimated cost."""

from __future__ import annotations

import sqlite3
from typing import Any


def _percentiles(conn: sqlite3.Connection, qs: tuple[float, ...]) -> dict[str, float | None]:
    n = conn.execute("SELECT COUNT(*) FROM llm_calls WHERE latency_ms IS NOT NULL").fetchone()[0]
    out: dict[str, float | None] = {}
    for q in qs:
        row = conn.execute("SELECT latency_ms FROM llm_calls WHERE latency_ms IS NOT NULL ORDER BY latency_ms"
                           " LIMIT 1 OFFSET ?", (min(n - 1, int(n * q)),)).fetchone() if n else None
        out[f"p{int(q * 100)}"] = round(row[0], 1) if row else None
    return out


def usage_report(conn: sqlite3.Connection, llm: dict[str, Any]) -> dict[str, Any]:
    """Totals over the whole call log; `estimated_cost` is None unless [llm] prices are set."""
    totals = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0),"
        " COALESCE(SUM(cached_tokens), 0) FROM llm_calls").fetchone()
    by_purpose = {r[0]: r[1] for r in conn.execute("SELECT purpose, COUNT(*) FROM llm_calls GROUP BY purpose")}
    errors = {r[0]: r[1] for r in conn.execute(
        "SELECT COALESCE(error_kind, status), COUNT(*) FROM llm_calls WHERE status != 'ok'"
        " GROUP BY COALESCE(error_kind, status) ORDER BY 2 DESC")}
    price_in, price_out = llm.get("price_in_per_mtok", 0.0), llm.get("price_out_per_mtok", 0.0)
    cost = None
    if price_in or price_out:
        cost = round(totals[1] / 1e6 * price_in + totals[2] / 1e6 * price_out, 4)
    return {
        "calls": totals[0], "by_purpose": by_purpose, "tokens_in": totals[1], "tokens_out": totals[2],
        "cached_tokens": totals[3], "latency_ms": _percentiles(conn, (0.5, 0.9, 0.99)), "errors_by_kind": errors,
        "estimated_cost": cost,
    }


def render_usage(console: Any, usage: dict[str, Any]) -> None:
    """The status block: one or two lines under the table."""
    if not usage["calls"]:
        return
    lat = usage["latency_ms"]
    line = (f"[bold]LLM usage[/] {usage['calls']:,} calls, tokens in {usage['tokens_in']:,} "
            f"(cached {usage['cached_tokens']:,}) / out {usage['tokens_out']:,}")
    if lat.get("p50") is not None:
        line += f"; latency p50 {lat['p50']:.0f} ms, p90 {lat['p90']:.0f} ms, p99 {lat['p99']:.0f} ms"
    if usage["estimated_cost"] is not None:
        line += f"; estimated cost {usage['estimated_cost']:,.4f}"
    console.print(line)
    if usage["errors_by_kind"]:
        console.print("  [yellow]not ok:[/] " + ", ".join(f"{k} {v:,}" for k, v in usage["errors_by_kind"].items()))
