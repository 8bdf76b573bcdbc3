"""Usage accounting for `curator status`: calls, tokens, latency percentiles, errors by kind, estimated cost."""

from __future__ import annotations

import sqlite3
from typing import Any

from curator.store.llm_calls import call_totals, latency_percentiles


def usage_report(conn: sqlite3.Connection, llm: dict[str, Any]) -> dict[str, Any]:
    """Totals over the whole call log; `estimated_cost` is None unless [llm] prices are set."""
    totals = call_totals(conn)
    price_in, price_out = llm.get("price_in_per_mtok", 0.0), llm.get("price_out_per_mtok", 0.0)
    cost = None
    if price_in or price_out:
        cost = round(totals["tokens_in"] / 1e6 * price_in + totals["tokens_out"] / 1e6 * price_out, 4)
    return {
        "calls": totals["calls"], "by_purpose": totals["by_purpose"], "tokens_in": totals["tokens_in"],
        "tokens_out": totals["tokens_out"], "cached_tokens": totals["cached_tokens"],
        "latency_ms": latency_percentiles(conn, (0.5, 0.9, 0.99)), "errors_by_kind": totals["errors_by_kind"],
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
