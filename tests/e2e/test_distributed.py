"""Many workers, one server, all real processes: enrollment, routing, lost workers, a killed
server, draining, revocation. The server declares a worker offline after 3 s of silence
(OCTOPUS_WORKER_TIMEOUT) so failures show quickly; the semantics are the defaults'."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psutil
import pytest

from tests.e2e.octopus_process import Browserless, OctopusServer, Worker, wait_until

pytestmark = pytest.mark.e2e

WORKER_TIMEOUT = 3  # seconds
FINAL = ("succeeded", "failed", "timed_out", "hung", "lost", "cancelled", "skipped")
LABELS = {"w-a": "linux,ssd", "w-b": "linux,gpu", "w-c": "linux"}


class Cluster:
    enrollment = ""

    def __init__(self, server: OctopusServer, workers: dict[str, Worker]) -> None:
        self.server = server
        self.workers = workers
        self.ui = Browserless(server.url)
        self.ui.login()

    def runs(self, job_id: int) -> list:
        return self.server.query(
            "SELECT r.*, w.name AS worker_name FROM runs_run r LEFT JOIN workers_worker w "
            "ON w.id = r.worker_id WHERE r.job_id = ? ORDER BY r.id",
            job_id,
        )

    def wait_finished(self, job_id: int, count: int, timeout: float = 30) -> list:
        def done():
            runs = self.runs(job_id)
            final = [r for r in runs if r["state"] in FINAL]
            return runs if len(final) >= count and len(final) == len(runs) else None

        return wait_until(done, timeout, 0.1, f"{count} finished run(s) of job {job_id}")

    def worker_row(self, name: str):
        return self.server.query("SELECT * FROM workers_worker WHERE name = ?", name)[0]

    def ensure_running(self, name: str) -> Worker:
        worker = self.workers[name]
        if worker.proc is None or worker.proc.poll() is not None:
            worker.start()
        wait_until(lambda: self.worker_row(name)["state"] == "online", 15, what=f"{name} online")
        return worker


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    env = {"OCTOPUS_WORKER_TIMEOUT": str(WORKER_TIMEOUT), "OCTOPUS_WORKER_HEARTBEAT_INTERVAL": "1"}
    server = OctopusServer(tmp_path_factory.mktemp("cluster") / "data", env=env).start()
    enrollment = server.cli("enrollment-token", "--uses", "3").strip()
    workers = {
        name: server.start_worker(name, labels, enroll=enrollment)
        for name, labels in LABELS.items()
    }
    try:
        cluster = Cluster(server, workers)
        cluster.enrollment = enrollment
        yield cluster
    finally:
        for worker in workers.values():
            worker.stop(signal.SIGKILL)
        server.stop()


def test_workers_enroll_with_their_labels_and_report_load(cluster: Cluster) -> None:
    for name, labels in LABELS.items():
        row = wait_until(
            lambda n=name: (r := cluster.worker_row(n))["load"] != "{}" and r,
            10,
            what=f"a heartbeat from {name}",
        )
        assert row["state"] == "online"
        assert set(labels.split(",")) <= set(json.loads(row["labels"]))
        assert row["token_hash"] and len(row["token_hash"]) == 64
        token_file = cluster.workers[name].data_dir / "token"
        assert oct(token_file.stat().st_mode & 0o777) == "0o600"
        assert token_file.read_text().strip() not in row["token_hash"]
    # The enrollment token had three uses: a fourth machine is refused.
    enrollment = cluster.server.query("SELECT uses_left FROM workers_enrollmenttoken")[0]
    assert enrollment["uses_left"] == 0
    page = cluster.ui.client.get("/workers/").text
    assert all(name in page for name in LABELS) and "cpu" in page


def test_a_used_up_enrollment_token_is_refused(cluster: Cluster, tmp_path) -> None:
    for token in (cluster.enrollment, "oce_not-a-valid-token"):
        late = Worker(cluster.server, "w-x", "linux", enroll=token)
        late.start(wait=False)
        assert late.proc.wait(30) != 0
        assert "enrollment refused (HTTP 403): unknown, expired, used or revoked" in late.log()
        late.log_path.unlink()


def test_routing_first_round_robin_least_loaded_random(cluster: Cluster) -> None:
    ui = cluster.ui
    first = ui.create_job_id(
        name="route-first",
        command="true",
        target_labels_text="linux",
        routing="first",
        concurrency="queue",
    )
    rr = ui.create_job_id(
        name="route-rr",
        command="true",
        target_labels_text="linux",
        routing="round_robin",
        concurrency="queue",
    )
    rnd = ui.create_job_id(
        name="route-random",
        command="true",
        target_labels_text="linux",
        routing="random",
        concurrency="allow",
        max_parallel="10",
    )
    for _ in range(3):
        ui.run_now(first)
    for _ in range(6):
        ui.run_now(rr)
    for _ in range(30):
        ui.run_now(rnd)
    assert [r["worker_name"] for r in cluster.wait_finished(first, 3)] == ["w-a"] * 3
    assert [r["worker_name"] for r in cluster.wait_finished(rr, 6)] == ["w-a", "w-b", "w-c"] * 2
    spread = Counter(r["worker_name"] for r in cluster.wait_finished(rnd, 30))
    assert set(spread) == {"w-a", "w-b", "w-c"}, spread

    # least loaded: keep w-a and w-b busy, then the next run goes to idle w-c.
    busy = ui.create_job_id(
        name="busy",
        command="sleep 4",
        target_labels_text="linux",
        routing="first",
        concurrency="allow",
        max_parallel="2",
    )
    ui.create_job_id(
        name="busy-b", command="sleep 4", target_worker=str(cluster.worker_row("w-b")["id"])
    )
    ui.run_now(busy)
    ui.run_now(cluster.server.query("SELECT id FROM jobs_job WHERE name='busy-b'")[0]["id"])
    # Least loaded goes by what the workers last reported (their heartbeats): wait until
    # w-c has reported the end of its random runs too, or it may still count as busy.
    wait_until(
        lambda: (
            all(cluster.worker_row(n)["running_count"] >= 1 for n in ("w-a", "w-b"))
            and cluster.worker_row("w-c")["running_count"] == 0
        ),
        10,
        what="w-a and w-b to report a run in progress, and w-c none",
    )
    least = ui.create_job_id(
        name="route-least", command="true", target_labels_text="linux", routing="least_loaded"
    )
    ui.run_now(least)
    assert [r["worker_name"] for r in cluster.wait_finished(least, 1)] == ["w-c"]


def test_targets_by_label_or_name_and_broadcast(cluster: Cluster) -> None:
    ui = cluster.ui
    gpu = ui.create_job_id(name="needs-gpu", command="true", target_labels_text="linux, gpu")
    named = ui.create_job_id(
        name="named", command="true", target_worker=str(cluster.worker_row("w-c")["id"])
    )
    everywhere = ui.create_job_id(
        name="everywhere", command="hostname", target_labels_text="linux", routing="broadcast"
    )
    for job_id in (gpu, named, everywhere):
        ui.run_now(job_id)
    assert [r["worker_name"] for r in cluster.wait_finished(gpu, 1)] == ["w-b"]
    assert [r["worker_name"] for r in cluster.wait_finished(named, 1)] == ["w-c"]
    runs = cluster.wait_finished(everywhere, 3)
    assert sorted(r["worker_name"] for r in runs) == ["w-a", "w-b", "w-c"]
    assert {r["state"] for r in runs} == {"succeeded"}


def test_no_eligible_worker_waits_queued_with_the_reason(cluster: Cluster) -> None:
    job_id = cluster.ui.create_job_id(
        name="needs-php", command="php -v", target_labels_text="php8.2"
    )
    cluster.ui.run_now(job_id)
    run = wait_until(
        lambda: (rs := cluster.runs(job_id)) and rs[0]["reason"] and rs[0],
        10,
        what="the waiting reason",
    )
    assert (run["state"], run["reason"]) == (
        "queued",
        "waiting: no online worker matches labels php8.2",
    )


def test_a_killed_worker_is_lost_within_twice_the_timeout_and_the_run_restarts_elsewhere(
    cluster: Cluster,
) -> None:
    for name in LABELS:
        cluster.ensure_running(name)
    job_id = cluster.ui.create_job_id(
        name="survivor",
        command="echo on $OCTOPUS_RUN_ID; sleep 3; echo done",
        target_labels_text="linux",
        routing="first",
        retries="1",
        retry_backoff="0",
    )
    cluster.ui.run_now(job_id)
    first = wait_until(
        lambda: (rs := cluster.runs(job_id)) and rs[0]["state"] == "running" and rs[0],
        10,
        what="the run to start",
    )
    victim = first["worker_name"]
    cluster.workers[victim].kill(signal.SIGKILL)
    killed_at = time.monotonic()
    lost = wait_until(
        lambda: (r := cluster.runs(job_id)[0])["state"] == "lost" and r,
        4 * WORKER_TIMEOUT,
        interval=0.05,
        what="the run to be declared lost",
    )
    took = time.monotonic() - killed_at
    print(
        f"\nrun declared lost {took:.1f} s after kill -9 of {victim} (timeout {WORKER_TIMEOUT} s)"
    )
    assert took <= 2 * WORKER_TIMEOUT + 1  # +1: the monitor ticks every second
    assert lost["reason"].startswith(f"lost: worker {victim} silent for")
    runs = cluster.wait_finished(job_id, 2)
    retry = runs[1]
    assert (retry["attempt"], retry["retry_of_id"], retry["state"]) == (2, first["id"], "succeeded")
    assert retry["worker_name"] != victim
    assert cluster.worker_row(victim)["state"] == "offline"
    cluster.ensure_running(victim)


def test_a_worker_that_comes_back_kills_the_runs_given_away(cluster: Cluster) -> None:
    for name in LABELS:
        cluster.ensure_running(name)
    job_id = cluster.ui.create_job_id(
        name="given-away",
        command="echo pid $$; sleep 30",
        target_labels_text="linux",
        routing="first",
        retries="1",
        retry_backoff="0",
        concurrency="skip",
    )
    cluster.ui.run_now(job_id)
    first = wait_until(
        lambda: (rs := cluster.runs(job_id)) and rs[0]["state"] == "running" and rs[0],
        10,
        what="the run to start",
    )
    paused = cluster.workers[first["worker_name"]]
    paused.kill(signal.SIGSTOP)  # silent, but its run goes on
    try:
        wait_until(
            lambda: cluster.runs(job_id)[0]["state"] == "lost", 4 * WORKER_TIMEOUT, what="lost"
        )
        retry = wait_until(
            lambda: len(rs := cluster.runs(job_id)) == 2 and rs[1]["state"] == "running" and rs[1],
            10,
            what="the retry to run elsewhere",
        )
        assert retry["worker_name"] != paused.name
        assert psutil.pid_exists(first["pid"])  # the old run is still going on the paused worker
    finally:
        paused.kill(signal.SIGCONT)
    # Back, the worker hears that run 1 was given away and kills it: a `skip` job never runs
    # twice at once.
    wait_until(lambda: not _alive(first["pid"]), 10, what="the given-away run to be killed")
    assert cluster.runs(job_id)[0]["state"] == "lost"
    assert "given to another worker" in paused.log()
    cluster.server.execute("UPDATE jobs_job SET enabled = ? WHERE id = ?", False, job_id)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_killed_server_loses_none_of_10000_lines(cluster: Cluster) -> None:
    for name in LABELS:
        cluster.ensure_running(name)
    command = (
        'i=1; while [ $i -le 10000 ]; do echo "line $i"; '
        "[ $((i % 500)) -eq 0 ] && sleep 0.2; i=$((i + 1)); done"
    )
    job_id = cluster.ui.create_job_id(
        name="ten-thousand", command=command, target_labels_text="linux"
    )
    cluster.ui.run_now(job_id)
    server = cluster.server
    wait_until(
        lambda: (rs := cluster.runs(job_id)) and rs[0]["log_lines"] >= 1500,
        20,
        what="the first lines to arrive",
    )
    server.kill()  # kill -9 in the middle of the run
    time.sleep(2)
    server.start()
    cluster.ui = Browserless(server.url)
    cluster.ui.login()
    (run,) = cluster.wait_finished(job_id, 1, timeout=60)
    assert (run["state"], run["exit_code"]) == ("succeeded", 0)
    rows = server.log_lines(run["id"])
    assert len(rows) == 10000
    assert [r["seq"] for r in rows] == list(range(1, 10001))
    assert [r["text"] for r in rows] == [f"line {i}" for i in range(1, 10001)]
    assert run["log_lines"] == 10000


def test_sigterm_drains_a_worker(cluster: Cluster) -> None:
    for name in LABELS:
        cluster.ensure_running(name)
    job_id = cluster.ui.create_job_id(
        name="drained",
        command="sleep 2; echo finished",
        target_worker=str(cluster.worker_row("w-c")["id"]),
    )
    cluster.ui.run_now(job_id)
    wait_until(lambda: cluster.runs(job_id)[0]["state"] == "running", 10, what="start")
    worker = cluster.workers["w-c"]
    worker.kill(signal.SIGTERM)
    wait_until(lambda: cluster.worker_row("w-c")["state"] == "draining", 5, what="draining")
    assert worker.proc.wait(30) == 0
    (run,) = cluster.wait_finished(job_id, 1)
    assert run["state"] == "succeeded"
    lines = cluster.server.log_lines(run["id"])
    assert [r["text"] for r in lines] == ["finished"]
    # A draining or gone worker gets nothing new.
    other = cluster.ui.create_job_id(
        name="after-drain", command="true", target_labels_text="linux", routing="round_robin"
    )
    for _ in range(3):
        cluster.ui.run_now(other)
    assert "w-c" not in {r["worker_name"] for r in cluster.wait_finished(other, 3)}
    cluster.ensure_running("w-c")


def test_run_as_another_account(cluster: Cluster, tmp_path) -> None:
    cluster.ensure_running("w-a")
    as_nobody = cluster.ui.create_job_id(
        name="as-nobody",
        command="id -un",
        run_as="nobody",
        target_worker=str(cluster.worker_row("w-a")["id"]),
    )
    cluster.ui.run_now(as_nobody)
    (run,) = cluster.wait_finished(as_nobody, 1)
    assert run["state"] == "succeeded", run["reason"]
    lines = cluster.server.log_lines(run["id"])
    assert [r["text"] for r in lines] == ["nobody"]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start a worker as another user")
def test_a_worker_that_is_not_root_cannot_run_as_another_account(cluster: Cluster) -> None:
    # pytest's temporary folders are private to root: give `nobody` one of its own.
    data = Path(tempfile.mkdtemp(prefix="octopus-nobody-"))
    os.chown(data, 65534, 65534)
    worker = cluster.server.start_worker(
        "unprivileged",
        "linux",
        data_dir=data,
        prefix=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"),
    )
    try:
        job_id = cluster.ui.create_job_id(
            name="as-root",
            command="id -un",
            run_as="root",
            target_worker=str(cluster.worker_row("unprivileged")["id"]),
        )
        cluster.ui.run_now(job_id)
        (run,) = cluster.wait_finished(job_id, 1)
        assert (run["state"], run["reason"]) == (
            "failed",
            "could not start: the worker runs as 'nobody', not root, so it cannot run as 'root'",
        )
    finally:
        worker.stop()


def test_a_revoked_token_is_refused(cluster: Cluster) -> None:
    worker = cluster.ensure_running("w-b")
    cluster.server.cli("revoke-worker", "w-b")
    wait_until(
        lambda: "refused this worker" in worker.log() or "dropped this worker" in worker.log(),
        15,
        what="the worker to be refused",
    )
    row = cluster.worker_row("w-b")
    assert row["token_hash"] == "" and row["token_revoked_at"] is not None
    # It keeps trying and keeps being refused; no run goes to it.
    job_id = cluster.ui.create_job_id(name="not-on-b", command="true", target_labels_text="gpu")
    cluster.ui.run_now(job_id)
    time.sleep(2)
    assert cluster.runs(job_id)[0]["state"] == "queued"
    assert datetime.fromisoformat(row["token_revoked_at"])
