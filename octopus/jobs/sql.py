"""Raw SQL on the jobs table, for the scheduler's hot path (octopus/runs/firings.py)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from octopus.jobs.models import Routing

# The jobs due at a firing with this schedule and time zone that are queued ahead of it
# (`t` is the table's alias, or ""). A job whose row no longer matches (edited, disabled,
# already fired) is left out and is seen to again.
DUE_AT = (
    "{t}next_fire_at = %s AND {t}enabled = %s AND {t}schedule = %s AND {t}time_zone = %s"
    " AND {t}routing <> %s"
)
CLAIM_DUE_AT = "UPDATE jobs_job SET next_fire_at = %s WHERE " + DUE_AT.format(t="")


def due_at_params(schedule: str, time_zone: str, firing: datetime) -> list[str | bool | None]:
    adapt = connection.ops.adapt_datetimefield_value
    return [adapt(firing), True, schedule, time_zone, Routing.BROADCAST]


def claim_due_at(schedule: str, time_zone: str, firing: datetime, following: datetime) -> None:
    """Move the next firing of the jobs due at `firing` on to `following` (the same for all
    of them): whoever moves it owns that firing."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            CLAIM_DUE_AT, [adapt(following), *due_at_params(schedule, time_zone, firing)]
        )
