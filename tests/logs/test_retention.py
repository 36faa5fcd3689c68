"""Retention: old output is purged in small batches; runs keep their summary."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from octopus.logs.ingest import store_lines
from octopus.logs.models import LogChunk
from octopus.logs.reading import lines_after
from octopus.logs.retention import purge_expired_lines
from octopus.logs.search import LogQuery, search
from tests.logs.conftest import lines


def retention_setting(value: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCTOPUS_LOG_RETENTION")}
    if value is not None:
        env["OCTOPUS_LOG_RETENTION"] = value
    return subprocess.run(
        [sys.executable, "-c", "from octopus import settings as s; print(s.LOG_RETENTION)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_retention_is_three_days_unless_set() -> None:
    assert retention_setting(None).stdout.strip() == "3 days, 0:00:00"
    assert retention_setting("36h").stdout.strip() == "1 day, 12:00:00"


def test_a_bad_retention_setting_stops_the_server_with_a_clear_message() -> None:
    result = retention_setting("3")
    assert result.returncode != 0
    assert "OCTOPUS_LOG_RETENTION: '3' is not a duration like 3d, 72h, 90m or 45s" in (
        result.stderr
    )


@pytest.mark.django_db
def test_expired_lines_go_in_batches_and_runs_keep_their_summary(make_run, settings) -> None:
    settings.LOG_RETENTION = timedelta(hours=2)
    now = timezone.now()
    run = make_run(state="succeeded")
    for hours_ago in (5, 4, 3):  # one chunk each: one time for its lines
        ts = (now - timedelta(hours=hours_ago)).timestamp()
        first = 1 + 2 * (5 - hours_ago)
        store_lines(run, lines(f"old {hours_ago}h", "old too", first=first, ts=ts))
    store_lines(run, lines("fresh", first=7, ts=(now - timedelta(hours=1)).timestamp()))
    run.refresh_from_db()
    summary = (run.log_lines, run.last_output_at, run.state)

    assert purge_expired_lines(now, batch=2) == 2
    assert [line.text for line in lines_after(run)] == ["old 3h", "old too", "fresh"]
    assert purge_expired_lines(now, batch=2) == 1
    assert purge_expired_lines(now, batch=2) == 0
    assert [line.seq for line in lines_after(run)] == [7]
    run.refresh_from_db()
    assert (run.log_lines, run.last_output_at, run.state) == summary


@pytest.mark.django_db
def test_purged_lines_leave_the_search_index_too(make_run, settings) -> None:
    settings.LOG_RETENTION = timedelta(hours=2)
    now = timezone.now()
    run = make_run()
    store_lines(run, lines("ancient zebra", ts=(now - timedelta(hours=3)).timestamp()))
    store_lines(run, lines("recent zebra", first=2, ts=now.timestamp()))
    purge_expired_lines(now)
    later = now + timedelta(hours=1)  # the purged chunk would now be in the window
    settings.LOG_RETENTION = timedelta(days=1)
    assert [hit.text for hit in search(LogQuery(text="zebra"), later).hits] == ["recent zebra"]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # raises when the index and table disagree
            cursor.execute(
                "INSERT INTO logs_logchunk_fts (logs_logchunk_fts, rank)"
                " VALUES ('integrity-check', 1)"
            )


@pytest.mark.django_db(transaction=True)
def test_purging_does_not_block_a_worker_storing_lines(make_run, settings) -> None:
    settings.LOG_RETENTION = timedelta(hours=1)
    now = timezone.now()
    old = make_run()
    for i in range(300):  # 300 chunks to purge, one line each
        ts = (now - timedelta(hours=2, seconds=i)).timestamp()
        store_lines(old, lines(f"old {i}", first=i + 1, ts=ts))
    live = make_run()
    stored: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for i in range(100):
                store_lines(live, lines(*[f"{i}.{j}" for j in range(20)], first=1 + 20 * i))
                stored.append(i)
                time.sleep(0.002)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    purged = 0
    while (n := purge_expired_lines(timezone.now(), batch=10)) > 0:
        purged += n
    thread.join(60)
    assert not errors
    assert purged == 300
    assert len(stored) == 100
    assert len(lines_after(live, limit=10_000)) == 2000
    assert not LogChunk.objects.filter(run=old).exists()
