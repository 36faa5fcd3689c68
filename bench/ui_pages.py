"""How fast the main pages answer with a realistic amount of history.

Seeds a throwaway SQLite database with JOBS jobs and RUNS runs spread over the last two
days, then times each page through Django's test client (server side only: no network, no
browser). Prints median and p95 per page.

    .venv/bin/python bench/ui_pages.py [--jobs 500] [--runs 200000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["OCTOPUS_DATA_DIR"] = tempfile.mkdtemp(prefix="octopus-bench-ui-")
os.environ.setdefault("OCTOPUS_SECRET_KEY", "bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octopus.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

STATES = ["succeeded"] * 17 + ["failed", "timed_out", "skipped"]


def seed(jobs: int, runs: int) -> None:
    from django.contrib.auth import get_user_model

    from octopus.accounts.models import Profile
    from octopus.jobs.models import Job
    from octopus.runs.models import Run

    admin = get_user_model().objects.create_superuser("admin", "", "pw")
    Profile.objects.create(user=admin, role="admin")
    now = timezone.now()
    Job.objects.bulk_create(
        Job(
            name=f"job-{i:04d}",
            command=f"run-report --part {i}",
            tags=["etl" if i % 3 else "report", f"team-{i % 7}"],
            schedule="*/5 * * * *",
            owner=admin,
            next_fire_at=now + timedelta(seconds=i),
        )
        for i in range(jobs)
    )
    ids = list(Job.objects.values_list("id", flat=True))
    batch = []
    for n in range(runs):
        at = now - timedelta(seconds=(runs - n) * 172_800 / runs)
        batch.append(
            Run(
                job_id=ids[n % len(ids)],
                trigger="schedule",
                state=STATES[n % len(STATES)],
                started_at=at,
                finished_at=at + timedelta(seconds=n % 30),
            )
        )
        if len(batch) == 10_000:
            Run.objects.bulk_create(batch)
            batch = []
    Run.objects.bulk_create(batch)
    # `created` is auto_now_add: spread it over the two days like the runs themselves.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE runs_run SET created = started_at")


def time_page(client: Client, path: str, repeat: int, **headers) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, **headers)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _ms(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(args.jobs, args.runs)
    print(f"seeded {args.jobs} jobs, {args.runs} runs in {time.perf_counter() - started:.1f} s")
    client = Client()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="admin"))
    htmx = {"HTTP_HX_REQUEST": "true"}
    pages = [
        ("dashboard", "/", {}),
        ("dashboard refresh (htmx)", "/", htmx),
        ("jobs list", "/jobs/", {}),
        ("jobs: tag + last run failed", "/jobs/?tag=etl&last=failed", {}),
        ("jobs: sorted by last run", "/jobs/?sort=last", {}),
        ("job page", "/jobs/1/", {}),
        ("runs list", "/runs/", {}),
        ("runs: failing, last 24 h", "/runs/?state=failing&since=24h", {}),
        ("audit trail", "/audit/", {}),
    ]
    from octopus.web import figures
    from octopus.web.charts import runs_by_hour

    parts = [
        ("  runs by hour (chart)", lambda: runs_by_hour()),
        (
            "  failing jobs",
            lambda: (list(figures.failing_jobs()[:10]), figures.failing_jobs().count()),
        ),
        (
            "  running runs",
            lambda: (list(figures.running_runs()[:10]), figures.running_runs().count()),
        ),
        ("  next firings", lambda: list(figures.next_firings()[:10])),
    ]
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8}")
    for name, part in parts:
        samples = sorted(_ms(part) for _ in range(args.repeat))
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(f"{name:32} {statistics.median(samples):10.1f} {p95:8.1f}")
    for name, path, headers in pages:
        median, p95 = time_page(client, path, args.repeat, **headers)
        print(f"{name:32} {median:10.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
