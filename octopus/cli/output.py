"""How the CLI prints: rich tables for people, JSON for scripts, local times."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

# Piped output keeps full rows (rich would squeeze them into 80 columns).
out = Console(width=None if sys.stdout.isatty() else 200, highlight=False, soft_wrap=False)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200, highlight=False)

STATE_STYLES = {
    "succeeded": "green",
    "failed": "red",
    "timed_out": "red",
    "hung": "red",
    "lost": "red",
    "running": "blue",
    "dispatched": "yellow",
    "queued": "yellow",
    "cancelled": "dim",
    "skipped": "dim",
    "open": "red",
    "acknowledged": "yellow",
    "resolved": "green",
    "online": "green",
    "draining": "yellow",
    "offline": "red",
}


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def when(value: str | None) -> str:
    """An API time (ISO, UTC) in this machine's time zone, to the second."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def state(name: str | None) -> Text:
    return Text(name or "—", style=STATE_STYLES.get(name or "", ""))


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], empty: str) -> None:
    grid = Table(box=None, header_style="bold", pad_edge=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    count = 0
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else str(cell) for cell in row))
        count += 1
    if count:
        out.print(grid)
    else:
        err.print(empty)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    grid = Table(box=None, show_header=False, pad_edge=False)
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in pairs:
        grid.add_row(key, value if isinstance(value, Text) else _plain(value))
    out.print(grid)


def _plain(value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
