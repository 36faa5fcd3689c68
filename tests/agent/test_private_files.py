"""The agent's data directory is private: 0700, the spool (and its -wal/-shm) and the token
0600, looser modes tightened at start with a warning (octopus_agent/private_files.py)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from octopus_agent.enrollment import save_token, saved_token
from octopus_agent.spool import Spool


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def loose_data_dir(tmp_path: Path) -> Path:
    """An agent data directory as older versions left it: 0755, spool and token 0644."""
    data = tmp_path / "agent"
    data.mkdir(mode=0o755)
    with closing(sqlite3.connect(data / "spool.sqlite3")) as db:
        db.execute("CREATE TABLE leftover (x)")
    (data / "spool.sqlite3").chmod(0o644)
    (data / "token").write_text("owt_secret\n")
    (data / "token").chmod(0o644)
    return data


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_start_tightens_a_loose_spool_and_data_dir_with_a_warning(
    loose_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool_path = loose_data_dir / "spool.sqlite3"
    with (
        caplog.at_level(logging.WARNING, logger="octopus_agent"),
        closing(Spool(spool_path)) as spool,
    ):
        spool.append("log", {"run_id": 1, "lines": []})
        assert mode(loose_data_dir) == 0o700
        assert mode(spool_path) == 0o600
        # SQLite gives its companions the database file's mode.
        assert mode(spool_path.with_name("spool.sqlite3-wal")) == 0o600
        assert mode(spool_path.with_name("spool.sqlite3-shm")) == 0o600
    found = warnings(caplog)
    assert found == [
        f"{loose_data_dir} had mode 755 (other accounts could read it): now 700",
        f"{spool_path} had mode 644 (other accounts could read it): now 600",
    ]


def test_a_fresh_spool_is_private_from_the_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool_path = tmp_path / "new" / "agent" / "spool.sqlite3"
    with (
        caplog.at_level(logging.WARNING, logger="octopus_agent"),
        closing(Spool(spool_path)) as spool,
    ):
        spool.append("log", {"run_id": 1, "lines": []})
        assert mode(spool_path.parent) == 0o700
        for name in ("spool.sqlite3", "spool.sqlite3-wal", "spool.sqlite3-shm"):
            assert mode(spool_path.with_name(name)) == 0o600, name
    assert not warnings(caplog)


def test_the_token_file_is_tightened_when_read_and_private_when_written(
    loose_data_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="octopus_agent"):
        assert saved_token(loose_data_dir) == "owt_secret"
    assert mode(loose_data_dir / "token") == 0o600
    assert warnings(caplog) == [
        f"{loose_data_dir / 'token'} had mode 644 (other accounts could read it): now 600"
    ]

    (loose_data_dir / "token").chmod(0o644)
    save_token(loose_data_dir, "owt_new")  # an existing file keeps its mode through O_CREAT
    assert mode(loose_data_dir / "token") == 0o600

    fresh = tmp_path / "fresh"
    save_token(fresh, "owt_first")
    assert (mode(fresh), mode(fresh / "token")) == (0o700, 0o600)


def test_a_path_that_cannot_be_changed_is_warned_about_and_start_goes_on(
    loose_data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(self: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "chmod", refuse)
    with caplog.at_level(logging.WARNING, logger="octopus_agent"):
        assert saved_token(loose_data_dir) == "owt_secret"
    (message,) = warnings(caplog)
    assert str(loose_data_dir / "token") in message
    assert "644" in message
    assert "Operation not permitted" in message


def test_tighten_keeps_the_owner_bits_and_never_loosens(tmp_path: Path) -> None:
    from octopus_agent import private_files

    script = tmp_path / "run.sh"
    script.write_text("")
    script.chmod(0o755)
    read_only = tmp_path / "ro"
    read_only.write_text("")
    read_only.chmod(0o444)
    for path in (script, read_only, tmp_path / "missing"):
        private_files.tighten(path)
    assert (mode(script), mode(read_only)) == (0o700, 0o400)
