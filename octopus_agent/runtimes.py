"""Find the language runtimes on this machine, as worker labels such as `python3.11`.

The original registered each worker with its runtime environment (`php5.4+,python2.6+`);
jobs target workers by these labels. Each probe runs the tool's own version command.
"""

from __future__ import annotations

import asyncio
import re

# label prefix, command, pattern whose groups make the version part of the label
PROBES: list[tuple[str, list[str], str]] = [
    ("python", ["python3", "--version"], r"Python (\d+\.\d+)"),
    ("php", ["php", "--version"], r"PHP (\d+\.\d+)"),
    ("java", ["java", "-version"], r'version "(?:1\.)?(\d+)'),
    ("node", ["node", "--version"], r"v(\d+)"),
    ("go", ["go", "version"], r"go(\d+\.\d+)"),
    ("ruby", ["ruby", "--version"], r"ruby (\d+\.\d+)"),
    ("perl", ["perl", "-e", "print $^V"], r"v(\d+\.\d+)"),
    ("bash", ["bash", "--version"], r"version (\d+\.\d+)"),
]


async def _probe(prefix: str, argv: list[str], pattern: str) -> str | None:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=5)
    except (OSError, TimeoutError):
        return None
    match = re.search(pattern, out.decode(errors="replace"))
    return f"{prefix}{match.group(1)}" if match else None


async def detect_runtimes() -> list[str]:
    found = await asyncio.gather(*(_probe(*probe) for probe in PROBES))
    return sorted(label for label in found if label)
