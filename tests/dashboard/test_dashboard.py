"""The dashboard: 24-hour chart by state, running runs, failing jobs, workers, alerts, next."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octopus.alerts.models import Alert
from octopus.runs.models import Run
from octopus.web.charts import day_chart, job_sparkline, runs_by_hour

pytestmark = pytest.mark.django_db


def test_it_counts_runs_per_hour_and_state_group(make_job) -> None:
    job = make_job()
    now = timezone.now()
    for state in ("succeeded", "succeeded", "failed", "lost", "running", "skipped"):
        Run.objects.create(job=job, trigger="schedule", state=state)
    old = Run.objects.create(job=job, trigger="schedule", state="failed")
    Run.objects.filter(pk=old.pk).update(created=now - timedelta(hours=30))  # outside 24 h
    two_hours_ago = Run.objects.create(job=job, trigger="schedule", state="succeeded")
    Run.objects.filter(pk=two_hours_ago.pk).update(created=now - timedelta(hours=2))
    buckets = runs_by_hour(now)
    assert len(buckets) == 24
    assert buckets[-1].counts == {"succeeded": 2, "failed": 2, "other": 1, "active": 1}
    assert buckets[-3].counts["succeeded"] == 1
    chart = day_chart(now)
    assert chart.totals == {"succeeded": 3, "failed": 2, "other": 1, "active": 1}
    assert chart.peak == 6
    tallest = chart.columns[-1].bars
    assert [b.css for b in tallest] == ["succeeded", "failed", "other", "active"]
    assert round(sum(b.height for b in tallest)) == chart.height - 4


def test_the_sparkline_shows_the_last_runs_newest_on_the_right(make_job) -> None:
    job = make_job()
    start = timezone.now()
    for seconds, state in ((1, "succeeded"), (4, "failed"), (2, "succeeded")):
        Run.objects.create(
            job=job,
            trigger="schedule",
            state=state,
            started_at=start,
            finished_at=start + timedelta(seconds=seconds),
        )
    spark = job_sparkline(job.pk, count=30, width=300)
    assert [b.css for b in spark.bars] == ["succeeded", "failed", "succeeded"]
    assert spark.bars[-1].x > 290 - 10
    assert spark.bars[1].height > spark.bars[2].height > spark.bars[0].height
    assert (spark.runs, spark.success_rate, spark.median_duration) == (3, 67, 2.0)


def test_the_page_shows_every_panel(client, viewer, make_job, make_worker) -> None:
    failing = make_job(
        "etl", schedule="0 * * * *", next_fire_at=timezone.now() + timedelta(hours=1)
    )
    Run.objects.create(job=failing, trigger="schedule", state="failed")
    busy = make_job("report")
    Run.objects.create(job=busy, trigger="manual", state="running")
    make_worker("w1")
    make_worker("w2", online=False)
    now = timezone.now()
    Alert.objects.create(
        kind="run_failed", job=failing, title="etl failed", first_seen=now, last_seen=now
    )
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert 'id="stat-running">1<' in page
    assert 'id="stat-failing">1<' in page
    assert 'id="stat-workers">1<span class="sub"> / 2' in page
    assert 'id="stat-alerts">1<' in page
    assert '<svg class="chart"' in page and 'id="total-failed">1<' in page
    assert ">etl</a>" in page.split('id="failing"')[1]
    assert ">report</a>" in page.split('id="running"')[1]
    assert ">etl</a>" in page.split('id="next-firings"')[1]
    # The 5-second refresh gets the panels only.
    fragment = client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="stat-running"' in fragment
