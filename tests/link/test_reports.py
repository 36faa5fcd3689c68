"""The server side of the worker protocol, message by message."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.link import reports
from octopus.logs.reading import lines_after
from octopus.runs import worker_runs
from octopus.runs.command import run_spec
from octopus.runs.models import Run
from octopus.workers import presence
from octopus.workers.tokens import authenticate_worker, issue_worker_token, revoke_worker_token
from octopus_agent import protocol

pytestmark = pytest.mark.django_db


def apply_batch(worker, messages: list[dict]) -> list[int]:
    """One worker's messages applied in one transaction, as its connection's inbox does."""
    return reports.apply_spooled_batches([(worker, messages)])[0]


@pytest.fixture
def dispatched(make_job, make_worker):
    worker = make_worker()
    job = make_job(cursor="c0")
    run = Run.objects.create(
        job=job, trigger="manual", worker=worker, state="dispatched", command="echo hi"
    )
    return run, worker


def log_message(run: Run, lines: list[tuple[int, str]], msg_id: int = 1) -> dict:
    now = time.time()
    return {
        "type": protocol.LOG,
        "id": msg_id,
        "run_id": run.id,
        "lines": [[seq, now, "stdout", text] for seq, text in lines],
    }


def test_a_batch_sent_twice_is_stored_once(dispatched) -> None:
    run, worker = dispatched
    message = log_message(run, [(1, "a"), (2, "b")])
    reports.apply_spooled(worker, message)
    reports.apply_spooled(worker, message)
    reports.apply_spooled(worker, log_message(run, [(2, "b"), (3, "c")]))
    assert [(line.seq, line.text) for line in lines_after(run)] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
    ]
    run.refresh_from_db()
    assert run.log_lines == 3


def test_lines_spooled_before_an_upgrade_and_blocks_after_are_stored_in_order(
    dispatched,
) -> None:
    # An agent upgraded mid-run still has its old messages (lines) in its outbox when the
    # new ones (blocks) follow; a batch may carry both, and a block may be sent again.
    run, worker = dispatched
    now = time.time()
    blocks = {
        "type": protocol.LOG,
        "id": 2,
        "run_id": run.id,
        "blocks": [[3, now, "stdout", "c\nd"]],
    }
    apply_batch(worker, [log_message(run, [(1, "a"), (2, "b")]), blocks])
    apply_batch(worker, [{**blocks, "id": 3}])
    assert [(line.seq, line.text) for line in lines_after(run)] == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
        (4, "d"),
    ]


def test_levels_come_from_the_original_format(dispatched) -> None:
    run, worker = dispatched
    reports.apply_spooled(
        worker,
        log_message(
            run, [(1, "2013/07/04:16:41:00 app_name error Process has exited!"), (2, "plain text")]
        ),
    )
    assert [line.level for line in lines_after(run)] == [
        "error",
        "info",
    ]


def test_a_cursor_line_checkpoints_the_job_at_once(dispatched) -> None:
    run, worker = dispatched
    reports.apply_spooled(
        worker, log_message(run, [(1, "2026/11/24:10:00:00 etl cursor 2026-11-24T09:59")])
    )
    assert Job.objects.get(pk=run.job_id).cursor == "2026-11-24T09:59"


def test_an_end_line_is_noted(dispatched) -> None:
    run, worker = dispatched
    reports.apply_spooled(worker, log_message(run, [(1, "2026/11/24:10:00:00 etl 120 done")]))
    run.refresh_from_db()
    assert run.saw_end_marker


def test_a_huge_line_is_cut_with_a_marker(dispatched, settings) -> None:
    settings.LOG_LINE_MAX_BYTES = 1000
    run, worker = dispatched
    reports.apply_spooled(worker, log_message(run, [(1, "x" * 5000)]))
    (line,) = lines_after(run)
    text = line.text
    assert text.startswith("x" * 1000)
    assert text.endswith("…[line cut at 1000 bytes]")


def test_started_then_finished(dispatched) -> None:
    run, worker = dispatched
    started = {
        "type": protocol.RUN_STARTED,
        "id": 1,
        "run_id": run.id,
        "pid": 4242,
        "started_at": time.time(),
    }
    assert reports.apply_spooled(worker, started) == []
    assert reports.apply_spooled(worker, started) == []  # sent again after a reconnect
    finished = {
        "type": protocol.RUN_FINISHED,
        "id": 2,
        "run_id": run.id,
        "outcome": "exited",
        "exit_code": 0,
        "signal": None,
        "reason": "",
        "finished_at": time.time(),
    }
    reports.apply_spooled(worker, finished)
    reports.apply_spooled(worker, finished)
    run.refresh_from_db()
    assert (run.state, run.pid, run.exit_code) == ("succeeded", 4242, 0)


def test_a_start_report_for_a_run_given_away_tells_the_worker_to_abandon_it(
    dispatched, make_worker
) -> None:
    run, worker = dispatched
    Run.objects.filter(pk=run.pk).update(state="lost")
    started = {
        "type": protocol.RUN_STARTED,
        "id": 1,
        "run_id": run.id,
        "pid": 1,
        "started_at": time.time(),
    }
    assert reports.apply_spooled(worker, started) == [run.id]


def test_runs_to_abandon_after_a_comeback(dispatched) -> None:
    run, worker = dispatched
    assert worker_runs.runs_to_abandon(worker, [run.id]) == []
    Run.objects.filter(pk=run.pk).update(state="lost")
    assert worker_runs.runs_to_abandon(worker, [run.id]) == [run.id]


def test_the_run_spec_carries_cursor_and_identity(dispatched) -> None:
    run, _worker = dispatched
    Run.objects.filter(pk=run.pk).update(cursor_start="c0")
    run.refresh_from_db()
    spec = run_spec(run)
    assert spec.env["OCTOPUS_CURSOR"] == "c0"
    assert spec.env["OCTOPUS_RUN_ID"] == str(run.id)
    assert spec.command == "echo hi"


def test_tokens_are_hashed_and_revocable(make_worker) -> None:
    worker = make_worker()
    token = issue_worker_token(worker)
    worker.refresh_from_db()
    assert token not in worker.token_hash
    assert authenticate_worker(token) == worker
    assert authenticate_worker(token + "x") is None
    assert authenticate_worker("") is None
    revoke_worker_token(worker)
    assert authenticate_worker(token) is None


def test_heartbeat_updates_load_and_last_seen(make_worker) -> None:
    worker = make_worker(last_seen=None)
    presence.heartbeat(worker, {"load": {"cpu": 12.5, "memory": 40, "load1": 0.3, "running": 2}})
    worker.refresh_from_db()
    assert worker.load["cpu"] == 12.5
    assert worker.running_count == 2
    assert worker.last_seen <= timezone.now()
