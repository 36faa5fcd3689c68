"""Keep the agent's data directory private: the spool holds job output on its way to the
server and the token file is the worker's password, so no other account may read them.

The directory is created 0700, the spool database and the token 0600 (SQLite gives its
-wal/-shm companions the database file's mode). What already exists with a looser mode
is tightened at start: the group and other bits are dropped, with one warning naming the
path and its old mode; a path that cannot be changed gets a warning and the agent goes on.

The agent's umask is left alone, so jobs inherit the one it was started with. The server
keeps its data directory by the same rules (octopus/lib/private_files.py uses these, with
its own logger); nothing here may import the server.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger("octopus_agent.private_files")

DIR_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def tighten(path: Path, log: logging.Logger = log) -> bool:
    """Drop the group and other permission bits of `path` (if it exists); warn on `log`
    when it had any. Return whether it is private now."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("cannot check the permissions of %s: %s", path, exc)
        return False
    if not mode & 0o077:
        return True
    try:
        path.chmod(mode & ~0o077)
    except OSError as exc:
        log.warning(
            "%s has mode %03o (other accounts may read it) and could not be made private: %s",
            path,
            mode,
            exc,
        )
        return False
    log.warning(
        "%s had mode %03o (other accounts could read it): now %03o", path, mode, mode & ~0o077
    )
    return True


def private_dir(path: Path, log: logging.Logger = log) -> Path:
    """Create `path` 0700 (and its missing parents), or tighten it if it exists."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten(path, log)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and 0600 if it is missing, or tighten it if it exists."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    tighten(path)
    return path


def private_sqlite(path: Path) -> Path:
    """A SQLite database file about to be opened: created 0600 (an empty file is an empty
    database), and it and its companions tightened if they exist."""
    private_file(path)
    for suffix in SQLITE_COMPANIONS:
        tighten(path.with_name(path.name + suffix))
    return path


def write_private(path: Path, text: str, log: logging.Logger = log) -> None:
    """Write `text` to `path`, created 0600 so it is never readable by others."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tighten(path, log)  # a file that already existed keeps its mode through O_CREAT
