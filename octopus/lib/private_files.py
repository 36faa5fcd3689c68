"""Keep the data directory private: it holds the database (sessions, channel secrets, job
output) and the secret key, which no other account on the machine may read.

A server process calls `restrict_umask()` first, so whatever it creates from then on is
private (directories 0700, files 0600, SQLite's -wal/-shm companions included). What was
already there with a looser mode is tightened at start by `tighten()`: the group and
other bits are dropped, with one warning naming the path and its old mode. A path we
cannot change (another account's) gets a warning too, and the server goes on.

The rules themselves (what "private" means, how a path is tightened) are the agent's
(octopus_agent/private_files.py), shared so both sides keep their files alike; this module
adds the server's part: its umask and which files of its data directory to check.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from octopus_agent import private_files as shared

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE = shared.DIR_MODE
SECRET_KEY_FILE = "secret_key"

_original_umask: int | None = None


def restrict_umask() -> int:
    """Make new files private for the rest of the process; return the umask it had before
    the first call (children that are not ours to restrict, such as the local worker and
    through it the jobs, get that one back)."""
    global _original_umask
    previous = os.umask(PRIVATE_UMASK)
    if _original_umask is None:
        _original_umask = previous
    return _original_umask


def tighten(path: Path) -> bool:
    """Drop the group and other permission bits of `path`, with a warning when it had any;
    whether it is private now."""
    return shared.tighten(path, log)


def private_dir(path: Path) -> Path:
    """Create `path` 0700 (and its missing parents), or tighten it if it exists."""
    return shared.private_dir(path, log)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, created 0600 so it is never readable by others."""
    shared.write_private(path, text, log)


def sqlite_files(path: Path) -> list[Path]:
    """A SQLite database file and the companions SQLite keeps next to it."""
    return [path, *(path.with_name(path.name + suffix) for suffix in shared.SQLITE_COMPANIONS)]


def tighten_all(paths: Iterable[Path]) -> None:
    for path in paths:
        tighten(path)


def tighten_data_dir(data_dir: Path, sqlite_database: Path | None, *also: Path) -> None:
    """At start: the data directory, the secret key, the SQLite database (wherever it is)
    with its companions, and `also`, each without group or other access."""
    paths = [data_dir, data_dir / SECRET_KEY_FILE, *also]
    if sqlite_database is not None:
        paths += sqlite_files(sqlite_database)
    tighten_all(paths)
