"""`octopus up` keeps its data directory private (other local accounts read nothing: not
the sessions in the database, not the secret key, not the spooled job output), while the
local worker's jobs still create files with the usual umask."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.octopus_process import Browserless, OctopusUp, wait_until

pytestmark = pytest.mark.e2e


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def octopus_up_from_a_usual_shell(tmp_path: Path) -> Iterator[OctopusUp]:
    """`octopus up` started with umask 022, on a new empty data directory (0755, as
    `mkdir` leaves it); its own log kept outside so the directory holds only Octopus's."""
    instance = OctopusUp(tmp_path / "data")
    instance.log_path = tmp_path / "octopus-up.log"
    old = os.umask(0o022)
    try:
        instance.start()
    finally:
        os.umask(old)
    try:
        yield instance
    finally:
        code = instance.stop()
        assert code == 0, f"octopus up exited with {code}:\n{instance.log()}"


def test_data_dir_is_private_and_jobs_keep_the_usual_umask(
    octopus_up_from_a_usual_shell: OctopusUp,
) -> None:
    up = octopus_up_from_a_usual_shell
    data = up.data_dir
    job_file = Path("/tmp") / f"octopus-e2e-umask-{uuid.uuid4().hex}"
    ui = Browserless(up.url)
    assert ui.login().url.path != "/login/", "login failed"
    job_id = ui.create_job_id(name="touch", command=f"touch {job_file}")
    try:
        ui.run_now(job_id)

        def finished():
            rows = up.query(
                "SELECT state FROM runs_run WHERE job_id = ? "
                "AND state NOT IN ('queued', 'dispatched', 'running')",
                job_id,
            )
            return rows[0] if rows else None

        assert wait_until(finished, 20, what="the touch run to end")["state"] == "succeeded"
        # The job's umask is the one `octopus up` was started with, not the server's 077.
        assert mode(job_file) == 0o644
    finally:
        job_file.unlink(missing_ok=True)

    listing = sorted([data, *data.rglob("*")])
    print("\n".join(f"{mode(p):o} {p.relative_to(data.parent)}" for p in listing))
    assert mode(data) == 0o700
    assert mode(data / "secret_key") == 0o600
    if up.database.vendor == "sqlite":
        assert mode(data / "octopus.sqlite3") == 0o600
    assert mode(data / "agent") == 0o700
    assert mode(data / "agent" / "spool.sqlite3") == 0o600
    # Everything else Octopus wrote there too (SQLite's -wal and -shm files included).
    assert [p for p in listing if mode(p) & 0o077] == []
    assert f"{data} had mode 755" in up.log()  # the empty directory it was given, tightened
