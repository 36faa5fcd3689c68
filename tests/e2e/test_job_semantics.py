"""Job semantics with real processes and real time: concurrency, restarts, the success rule,
the cursor. One `octopus up` plus a second worker serve the whole module; each test uses
its own job."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise

import psutil
import pytest

from tests.e2e.octopus_process import Browserless, OctopusUp, Worker, wait_until

pytestmark = pytest.mark.e2e

FINAL = ("succeeded", "failed", "timed_out", "hung", "lost", "cancelled", "skipped")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[OctopusUp, Worker]]:
    up = OctopusUp(tmp_path_factory.mktemp("semantics") / "data").start()
    second = up.start_worker("second")
    try:
        yield up, second
    finally:
        second.stop()
        up.stop()


@pytest.fixture(scope="module")
def up(cluster) -> OctopusUp:
    return cluster[0]


@pytest.fixture(scope="module")
def ui(up: OctopusUp) -> Browserless:
    user = Browserless(up.url)
    user.login()
    return user


def runs_of(up: OctopusUp, job_id: int) -> list:
    return up.query(
        "SELECT r.*, w.name AS worker_name FROM runs_run r LEFT JOIN workers_worker w "
        "ON w.id = r.worker_id WHERE job_id = ? ORDER BY r.id",
        job_id,
    )


def wait_runs(up: OctopusUp, job_id: int, predicate, timeout: float = 30, what: str = "runs"):
    return wait_until(lambda: predicate(runs_of(up, job_id)), timeout, 0.2, what)


def finished(count: int):
    def check(runs):
        done = [r for r in runs if r["state"] in FINAL]
        return runs if len(done) >= count and len(done) == len(runs) else None

    return check


def stop_firing(up: OctopusUp, job_id: int) -> None:
    # Test cleanup only: spare the other tests a job firing every second.
    up.execute("UPDATE jobs_job SET enabled = ?, next_fire_at = NULL WHERE id = ?", False, job_id)


def ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def log_texts(up: OctopusUp, run_id: int) -> list[str]:
    return [r["text"] for r in up.log_lines(run_id)]


def test_skip_records_exactly_the_firings_that_came_while_a_run_was_active(up, ui) -> None:
    job_id = ui.create_job_id(
        name="skip-every-second",
        command="sleep 3",
        schedule="* * * * * *",
        concurrency="skip",
        routing="round_robin",  # alternate between both workers: the rule is cluster-wide
    )
    wait_runs(
        up,
        job_id,
        lambda rs: sum(r["state"] == "succeeded" for r in rs) >= 3 or None,
        40,
        "three runs of a 3 s job firing every second",
    )
    runs = runs_of(up, job_id)
    executed = [r for r in runs if r["state"] != "skipped"]
    last_done = max(ts(r["finished_at"]) for r in executed if r["state"] == "succeeded")

    # Firings are queued ahead and the rule is settled by the dispatcher when each one's
    # second comes: a skipped one ends then, an executed one is handed out then.
    def settled_at(run: dict) -> datetime:
        return ts(run["finished_at"] if run["state"] == "skipped" else run["dispatched_at"])

    settled = [r for r in runs if r["state"] == "skipped" or r["dispatched_at"]]
    settled = [r for r in settled if settled_at(r) < last_done]
    assert {r["worker_name"] for r in executed if r["worker_name"]} == {"local", "second"}

    def active_at(moment: datetime) -> list:
        return [
            r
            for r in executed
            if ts(r["scheduled_for"]) < moment
            and (r["finished_at"] is None or ts(r["finished_at"]) > moment)
        ]

    for firing in settled:
        blocking = [r for r in active_at(settled_at(firing)) if r["id"] != firing["id"]]
        if firing["state"] == "skipped":
            assert blocking, f"firing {firing['scheduled_for']} skipped with nothing active"
            assert firing["reason"] == f"skipped: run {blocking[0]['id']} still active"
        else:
            assert not blocking, f"firing {firing['scheduled_for']} ran beside {blocking}"
    # A 3 s run blocks the next three one-second firings.
    skipped_between = [
        sum(1 for r in settled if r["state"] == "skipped" and a["id"] < r["id"] < b["id"])
        for a, b in pairwise(executed)
        if b["dispatched_at"] and settled_at(b) < last_done
    ]
    assert skipped_between and all(n == 3 for n in skipped_between), skipped_between
    # Never two at once, on any worker.
    spans = sorted(
        (ts(r["started_at"]), ts(r["finished_at"]))
        for r in executed
        if r["started_at"] and r["finished_at"]
    )
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))
    stop_firing(up, job_id)


def test_queue_runs_one_after_another_in_order(up, ui) -> None:
    job_id = ui.create_job_id(
        name="queued", command="echo start $OCTOPUS_RUN_ID; sleep 1", concurrency="queue"
    )
    for _ in range(3):
        ui.run_now(job_id)
    runs = wait_runs(up, job_id, finished(3), what="three queued runs")
    assert [r["state"] for r in runs] == ["succeeded"] * 3
    starts = [ts(r["started_at"]) for r in runs]
    ends = [ts(r["finished_at"]) for r in runs]
    assert starts == sorted(starts), "queued runs must start in the order they were queued"
    assert all(ends[i] <= starts[i + 1] for i in range(2)), "queued runs overlapped"


def test_allow_runs_up_to_max_parallel(up, ui) -> None:
    job_id = ui.create_job_id(
        name="parallel", command="sleep 2", concurrency="allow", max_parallel="2"
    )
    for _ in range(4):
        ui.run_now(job_id)
    runs = wait_runs(up, job_id, finished(4), 40, "four parallel runs")
    assert [r["state"] for r in runs] == ["succeeded"] * 4
    spans = [(ts(r["started_at"]), ts(r["finished_at"])) for r in runs]

    def overlapping(moment: datetime) -> int:
        return sum(1 for start, end in spans if start <= moment < end)

    peak = max(overlapping(start) for start, _ in spans)
    assert peak == 2


def test_a_job_failing_twice_then_succeeding_shows_three_linked_attempts_and_resumes_from_the_last_checkpoint(  # noqa: E501
    up, ui
) -> None:
    command = (
        'case "$OCTOPUS_ATTEMPT" in '
        '1) echo "2026/11/24:10:00:00 etl cursor c1"; exit 1;; '
        '2) echo "2026/11/24:10:00:01 etl cursor c2"; echo "boom" >&2; exit 2;; '
        '*) echo "arg={cursor} env=$OCTOPUS_CURSOR";; esac'
    )
    job_id = ui.create_job_id(
        name="etl-retry", command=command, retries="3", retry_backoff="1", concurrency="skip"
    )
    ui.run_now(job_id)
    runs = wait_runs(
        up,
        job_id,
        lambda rs: rs if any(r["state"] == "succeeded" for r in rs) else None,
        what="the third attempt to succeed",
    )
    assert [(r["attempt"], r["state"], r["reason"]) for r in runs] == [
        (1, "failed", "exit code 1"),
        (2, "failed", "exit code 2"),
        (3, "succeeded", ""),
    ]
    assert [r["retry_of_id"] for r in runs] == [None, runs[0]["id"], runs[1]["id"]]
    assert [r["trigger"] for r in runs] == ["manual", "retry", "retry"]
    assert [r["cursor_start"] for r in runs] == ["", "c1", "c2"]
    assert log_texts(up, runs[2]["id"]) == ["arg=c2 env=c2"]
    assert up.query("SELECT * FROM jobs_job WHERE id = ?", job_id)[0]["cursor"] == "c2"
    page = ui.client.get(f"/runs/{runs[2]['id']}/").text
    for earlier in runs[:2]:
        assert f'#{earlier["id"]}</a> <span class="state failed">Failed</span>' in page


def test_a_timeout_kills_the_whole_process_group(up, ui) -> None:
    job_id = ui.create_job_id(
        name="too-slow", command="echo pgid $$; sleep 300 & sleep 300", timeout="1"
    )
    ui.run_now(job_id)
    (run,) = wait_runs(up, job_id, finished(1), what="the timeout")
    assert (run["state"], run["reason"]) == ("timed_out", "timed out after 1 s")
    pgid = int(log_texts(up, run["id"])[0].split()[1])

    def group_gone() -> bool:
        alive = []
        for proc in psutil.process_iter(["status"]):
            try:
                if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                    alive.append(proc)
            except (ProcessLookupError, psutil.Error):
                pass
        return not alive

    wait_until(group_gone, 10, what=f"process group {pgid} to be gone")


def test_silence_past_the_heartbeat_timeout_is_hung(up, ui) -> None:
    job_id = ui.create_job_id(
        name="silent", command="echo started; sleep 60", heartbeat_timeout="1"
    )
    ui.run_now(job_id)
    (run,) = wait_runs(up, job_id, finished(1), what="hung detection")
    assert (run["state"], run["reason"]) == ("hung", "hung: no output or heartbeat for 1 s")


def test_heartbeat_lines_keep_a_quiet_job_alive(up, ui) -> None:
    command = 'for i in 1 2 3 4 5 6; do echo "$(date +%Y/%m/%d:%H:%M:%S) job 110"; sleep 0.4; done'
    job_id = ui.create_job_id(name="heartbeats", command=command, heartbeat_timeout="1")
    ui.run_now(job_id)
    (run,) = wait_runs(up, job_id, finished(1), what="the heartbeat job")
    assert run["state"] == "succeeded"


def test_a_required_end_line_decides_success(up, ui) -> None:
    without = ui.create_job_id(name="no-end", command="echo done", require_end_marker="on")
    with_end = ui.create_job_id(
        name="with-end",
        command='echo "2026/11/24:10:00:00 job 120 finished"',
        require_end_marker="on",
    )
    ui.run_now(without)
    ui.run_now(with_end)
    (bad,) = wait_runs(up, without, finished(1))
    (good,) = wait_runs(up, with_end, finished(1))
    assert (bad["state"], bad["reason"]) == (
        "failed",
        "exit code 0 but no end line (code 120) was printed",
    )
    assert good["state"] == "succeeded"


def test_failures_carry_a_precise_reason(up, ui) -> None:
    cases = {
        "by-signal": ({"command": "kill -9 $$"}, "killed by signal SIGKILL"),
        "no-dir": (
            {"command": "true", "workdir": "/nonexistent/octopus"},
            "could not start: working directory '/nonexistent/octopus' does not exist",
        ),
        "no-account": (
            {"command": "true", "run_as": "no-such-user-42"},
            "could not start: no such account 'no-such-user-42' on this worker",
        ),
        "no-command": ({"command": "no-such-command-42"}, "exit code 127"),
    }
    ids = {name: ui.create_job_id(name=name, **fields) for name, (fields, _) in cases.items()}
    for job_id in ids.values():
        ui.run_now(job_id)
    for name, (_, reason) in cases.items():
        (run,) = wait_runs(up, ids[name], finished(1), what=name)
        assert (run["state"], run["reason"]) == ("failed", reason), name
