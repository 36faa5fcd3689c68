"""The server's data directory is private: 0700, its files 0600, looser modes tightened at
start with a warning (octopus/lib/private_files.py, `octopus up`/`octopus server`)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    """Start from the usual umask and give the test process back its own afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def loose_data_dir(tmp_path: Path, umask: None) -> Path:
    """A data directory as older versions left it: 0755, the key and database 0644."""
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("secret_key", "octopus.sqlite3", "octopus.sqlite3-wal"):
        (data / name).write_text("x")
        (data / name).chmod(0o644)
    return data


def test_start_tightens_a_loose_data_dir_with_a_warning(
    loose_data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from octopus.lib import private_files

    database = loose_data_dir / "octopus.sqlite3"
    with caplog.at_level(logging.WARNING, logger="octopus"):
        private_files.tighten_data_dir(loose_data_dir, database)

    assert mode(loose_data_dir) == 0o700
    for name in ("secret_key", "octopus.sqlite3", "octopus.sqlite3-wal"):
        assert mode(loose_data_dir / name) == 0o600, name
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4  # one line per path
    assert f"{loose_data_dir} had mode 755" in warnings[0]
    assert any(str(loose_data_dir / "secret_key") in w and "644" in w for w in warnings)

    caplog.clear()
    private_files.tighten_data_dir(loose_data_dir, database)  # private now: nothing to say
    assert not caplog.records


def test_server_start_tightens_the_configured_data_dir(
    loose_data_dir: Path, settings, caplog: pytest.LogCaptureFixture
) -> None:
    from octopus.cli import _private_data_dir

    settings.DATA_DIR = loose_data_dir
    with caplog.at_level(logging.WARNING, logger="octopus"):
        _private_data_dir(loose_data_dir / "agent")
    assert (mode(loose_data_dir), mode(loose_data_dir / "secret_key")) == (0o700, 0o600)
    assert any(str(loose_data_dir / "secret_key") in r.getMessage() for r in caplog.records)


def test_tighten_keeps_the_owner_bits_and_never_loosens(tmp_path: Path, umask: None) -> None:
    from octopus.lib import private_files

    script = tmp_path / "run.sh"
    script.write_text("")
    script.chmod(0o755)
    read_only = tmp_path / "ro"
    read_only.write_text("")
    read_only.chmod(0o444)
    private_files.tighten_all([script, read_only, tmp_path / "missing"])
    assert (mode(script), mode(read_only)) == (0o700, 0o400)


def test_a_path_that_cannot_be_changed_is_warned_about_and_start_goes_on(
    tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from octopus.lib import private_files

    owned_by_another = tmp_path / "secret_key"
    owned_by_another.write_text("x")
    owned_by_another.chmod(0o644)

    def refuse(self: Path, mode: int) -> None:
        raise PermissionError(1, "Operation not permitted", str(self))

    monkeypatch.setattr(Path, "chmod", refuse)
    with caplog.at_level(logging.WARNING, logger="octopus"):
        assert private_files.tighten(owned_by_another) is False
    (record,) = caplog.records
    assert str(owned_by_another) in record.getMessage()
    assert "644" in record.getMessage()
    assert "Operation not permitted" in record.getMessage()


def test_restrict_umask_makes_new_files_private_and_returns_the_old_umask(
    tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from octopus.lib import private_files

    monkeypatch.setattr(private_files, "_original_umask", None)
    assert private_files.restrict_umask() == 0o022
    assert private_files.restrict_umask() == 0o022  # the first one, not our own
    (tmp_path / "new").write_text("")
    (tmp_path / "new-dir").mkdir()
    assert (mode(tmp_path / "new"), mode(tmp_path / "new-dir")) == (0o600, 0o700)


def test_a_new_secret_key_is_private_from_the_start(
    tmp_path: Path, umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from octopus import settings as settings_module

    data = tmp_path / "fresh"
    monkeypatch.setattr(settings_module, "DATA_DIR", data)
    monkeypatch.delenv("OCTOPUS_SECRET_KEY", raising=False)
    monkeypatch.delenv("OCTOPUS_SECRET_KEY_FILE", raising=False)
    key = settings_module._secret_key()
    assert (data / "secret_key").read_text() == key
    assert (mode(data), mode(data / "secret_key")) == (0o700, 0o600)
