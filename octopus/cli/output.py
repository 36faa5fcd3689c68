"""How the CLI prints: rich tables for people, JSON for scripts, local times.

Everything the server sends (names, descriptions, reasons, commands, log lines) is data:
a job may be described as "[/x] [bold]". Rich reads markup in every string it prints, so
such text would be read as tags, or crash the command with a MarkupError. So `table` and
`fields` make their cells `Text` (never parsed), messages that quote the server are
printed with markup=False or built as styled `Text` (`styled`), and emoji codes
(":smile:") are off. (rich.markup.escape is not enough on its own: it doubles a trailing
backslash, which shows unless a tag follows.)
"""

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
out = Console(
    width=None if sys.stdout.isatty() else 200, highlight=False, soft_wrap=False, emoji=False
)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200, highlight=False, emoji=False)

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


def literal(value: Any) -> Text:
    """`value` as text printed as it is: never read as markup."""
    return value if isinstance(value, Text) else Text(str(value))


def styled(*parts: str | tuple[str, str]) -> Text:
    """A message of literal parts, some of them (text, style): `styled(("+ create",
    "green"), "  ", name)`; no part is read as markup."""
    return Text.assemble(*parts)


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
        grid.add_row(*(literal(cell) for cell in row))
        count += 1
    if count:
        out.print(grid)
    else:
        err.print(empty, markup=False)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    grid = Table(box=None, show_header=False, pad_edge=False)
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in pairs:
        grid.add_row(key, literal(value if isinstance(value, Text) else _plain(value)))
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
