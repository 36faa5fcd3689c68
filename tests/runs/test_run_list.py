"""The runs list filters: job, state, worker, trigger, time range (in the viewer's zone)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from octopus.runs.models import Run

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "run-results"}


def ids(response) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/runs/(\d+)/">#', response.content.decode())]


def test_it_filters_runs(client, viewer, make_job, make_worker) -> None:
    etl, report = make_job("etl"), make_job("report")
    w1, w2 = make_worker("w1"), make_worker("w2")
    old = Run.objects.create(job=etl, trigger="schedule", state="succeeded", worker=w1)
    Run.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=3))
    failed = Run.objects.create(job=etl, trigger="manual", state="failed", worker=w2)
    hung = Run.objects.create(job=report, trigger="retry", state="hung", worker=w1)
    ok = Run.objects.create(job=report, trigger="schedule", state="succeeded", worker=w2)
    client.force_login(viewer)
    get = lambda **q: ids(client.get("/runs/", q, **HTMX))  # noqa: E731
    assert get(job="etl") == [failed.id, old.id]
    assert get(state="hung") == [hung.id]
    assert get(state="failing") == [hung.id, failed.id]
    assert get(worker="w2") == [ok.id, failed.id]
    assert get(trigger="schedule") == [ok.id, old.id]
    assert get(since="24h") == [ok.id, hung.id, failed.id]
    assert get(job="etl", since="7d", state="succeeded") == [old.id]
    assert "No run matches these filters." in client.get("/runs/", {"job": "zzz"}).content.decode()


def test_a_typed_time_range_is_read_in_the_viewers_time_zone(client, viewer, make_job) -> None:
    job = make_job()
    run = Run.objects.create(job=job, trigger="manual", state="succeeded")
    Run.objects.filter(pk=run.pk).update(created=datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    client.force_login(viewer)
    client.cookies["tz"] = "Asia/Shanghai"  # 01:30 UTC is 09:30 in Shanghai
    get = lambda **q: ids(client.get("/runs/", q, **HTMX))  # noqa: E731
    assert get(start="2026-03-01T09:00", end="2026-03-01T10:00") == [run.id]
    assert get(start="2026-03-01T01:00", end="2026-03-01T02:00") == []
    assert get(start="not a time") == [run.id]  # ignored, not an error
