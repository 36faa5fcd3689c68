from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.logs.ingest import store_lines
from octopus.logs.reading import lines_after
from octopus.logs.retention import purge_expired_lines
from octopus.runs.models import Run
from octopus.runs.monitor import mark_silent_workers_offline

pytestmark = pytest.mark.django_db


def test_a_silent_worker_goes_offline_and_its_runs_are_lost_and_retried(
    make_job, make_worker, settings
) -> None:
    settings.WORKER_TIMEOUT = 30
    now = timezone.now()
    silent = make_worker("quiet", last_seen=now - timedelta(seconds=31))
    alive = make_worker("alive", last_seen=now - timedelta(seconds=5))
    job = make_job(retries=1, retry_backoff=0)
    run = Run.objects.create(job=job, trigger="manual", worker=silent, state="running")
    other = Run.objects.create(job=make_job("b"), trigger="manual", worker=alive, state="running")
    assert mark_silent_workers_offline(now) == 1
    silent.refresh_from_db()
    run.refresh_from_db()
    assert (silent.state, silent.connected_at) == ("offline", None)
    assert run.state == "lost"
    assert run.reason == "lost: worker quiet silent for 31 s"
    retry = Run.objects.get(retry_of=run)
    assert (retry.state, retry.attempt) == ("queued", 2)
    assert Run.objects.get(pk=other.pk).state == "running"
    assert mark_silent_workers_offline(now) == 0


def test_old_log_lines_are_purged(make_job) -> None:
    now = timezone.now()
    run = Run.objects.create(job=make_job(), trigger="manual", state="succeeded")
    old = (now - timedelta(days=4)).timestamp()
    store_lines(run, [[i, old, "stdout", "old"] for i in range(1, 6)])
    store_lines(run, [[6, now.timestamp(), "stdout", "new"]])
    assert purge_expired_lines(now) == 1  # one chunk: the five old lines
    assert [line.text for line in lines_after(run)] == ["new"]
    assert Run.objects.get(pk=run.pk).log_lines == 6
