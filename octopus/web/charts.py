"""Run history as small charts: a job's sparkline and the last 24 hours by state.

Geometry is computed here and drawn as inline SVG by the templates (no chart library, no
build step). Bars carry their own title text, so the charts read with a screen reader too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import CharField, Count
from django.db.models.functions import Cast, Substr
from django.utils import timezone

from octopus.runs.models import ACTIVE_STATES, FAILURE_STATES, Run, RunState
from octopus.web.templatetags import duration

# The dashboard chart stacks four groups of states, bottom to top.
GROUPS = ("succeeded", "failed", "other", "active")
GROUP_OF: dict[str, str] = {  # keyed by state value (runs' `state` is a plain str)
    RunState.SUCCEEDED: "succeeded",
    **dict.fromkeys(FAILURE_STATES, "failed"),
    **dict.fromkeys(ACTIVE_STATES, "active"),
    RunState.CANCELLED: "other",
    RunState.SKIPPED: "other",
}


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str = ""
    href: str = ""


@dataclass
class Sparkline:
    bars: list[Bar]
    width: int
    height: int
    runs: int
    succeeded: int
    median_duration: float | None

    @property
    def success_rate(self) -> int | None:
        return round(100 * self.succeeded / self.runs) if self.runs else None


def job_sparkline(job_id: int, count: int = 30, width: int = 300, height: int = 48) -> Sparkline:
    """The job's last `count` finished runs, oldest first: bar height is the duration, colour
    the outcome. Runs that never started (cancelled in the queue) get a stub bar."""
    finished = (
        Run.objects.filter(job_id=job_id, finished_at__isnull=False)
        .exclude(state=RunState.SKIPPED)
        .order_by("-id")
        .only("id", "state", "started_at", "finished_at")[:count]
    )
    runs = list(reversed(finished))
    durations = [r.duration or 0.0 for r in runs]
    longest = max(durations, default=0.0) or 1.0
    slot = width / count
    first = count - len(runs)  # the newest run sits at the right edge
    bars = []
    for i, (run, seconds) in enumerate(zip(runs, durations, strict=True), start=first):
        h = max(3.0, (height - 2) * seconds / longest)
        css = GROUP_OF.get(run.state, "other")
        bars.append(
            Bar(
                x=round(i * slot + 1, 2),
                y=round(height - h, 2),
                width=round(max(slot - 2, 1), 2),
                height=round(h, 2),
                css=css,
                title=f"#{run.id} {run.get_state_display()} · {duration(seconds)}",
                href=f"/runs/{run.id}/",
            )
        )
    timed = sorted(d for r, d in zip(runs, durations, strict=True) if r.started_at)
    median = timed[len(timed) // 2] if timed else None
    succeeded = sum(1 for r in runs if r.state == RunState.SUCCEEDED)
    return Sparkline(bars, width, height, len(runs), succeeded, median)


@dataclass
class HourBucket:
    start: datetime
    counts: dict[str, int]

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=1)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class HourColumn:
    bucket: HourBucket
    bars: list[Bar]
    x: float  # the column's slot, also the hover area for its title
    width: float


@dataclass
class DayChart:
    buckets: list[HourBucket]
    columns: list[HourColumn]
    totals: dict[str, int]
    peak: int
    width: int
    height: int


def runs_by_hour(now: datetime | None = None) -> list[HourBucket]:
    """Runs created in the last 24 hours, counted per hour (UTC buckets) and state group.

    The hour is the first 13 characters of the time as text ("2026-11-25 14"): databases
    hold and print these times in UTC. Truncating with date functions would, on SQLite,
    call a Python function for every row."""
    now = now or timezone.now()
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    buckets = {
        f"{first + timedelta(hours=i):%Y-%m-%d %H}": HourBucket(
            first + timedelta(hours=i), dict.fromkeys(GROUPS, 0)
        )
        for i in range(24)
    }
    rows = (
        Run.objects.filter(created__gte=first)
        .annotate(hour=Substr(Cast("created", CharField()), 1, 13))
        .values("hour", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        bucket = buckets.get(row["hour"].replace("T", " "))
        if bucket is not None:
            bucket.counts[GROUP_OF.get(row["state"], "other")] += row["n"]
    return list(buckets.values())


def day_chart(now: datetime | None = None, width: int = 720, height: int = 140) -> DayChart:
    buckets = runs_by_hour(now)
    peak = max((b.total for b in buckets), default=0)
    scale = (height - 4) / peak if peak else 0
    slot = width / len(buckets)
    columns = []
    for i, bucket in enumerate(buckets):
        y = float(height)
        stack = []
        for group in GROUPS:
            n = bucket.counts[group]
            if not n:
                continue
            h = max(1.5, n * scale)
            y -= h
            stack.append(Bar(round(i * slot + 2, 2), round(y, 2), round(slot - 4, 2), h, group))
        columns.append(HourColumn(bucket, stack, round(i * slot, 2), round(slot, 2)))
    totals = {g: sum(b.counts[g] for b in buckets) for g in GROUPS}
    return DayChart(buckets, columns, totals, peak, width, height)
