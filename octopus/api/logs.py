"""A run's output over the API, for clients without WebSocket (the `octopus logs` command).

GET /runs/{id}/logs?after=SEQ returns the lines after SEQ. With `wait=N`, when there are no
new lines yet and the run is still active, the request waits up to N seconds for some (a
long poll): a follower asks again with `after` set to the last seq it got, so a dropped
request loses nothing and a retried one doubles nothing.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from octopus.api.params import ObjectId
from octopus.api.runs import get_run_for
from octopus.logs.reading import Line, lines_after
from octopus.runs.models import ACTIVE_STATES, Run

router = Router(tags=["logs"])

MAX_WAIT = 30  # seconds a long poll may hold a request
POLL_INTERVAL = 0.25  # seconds between looks at the store while waiting


class LogLineOut(Schema):
    seq: int
    ts: datetime
    stream: str
    level: str
    text: str


class LogPage(Schema):
    items: list[LogLineOut]
    count: int = Field(description="Lines the run has printed so far.")
    next: str = Field(description="URL for the lines after these.")
    last_seq: int = Field(description="Pass as `after` to get the following lines.")
    run_state: str
    active: bool = Field(description="The run may still print; keep following.")


class LogQuery(Schema):
    after: int = Field(0, ge=0, le=2**31 - 1, description="Only lines with a higher seq.")
    limit: int = Field(1000, ge=1, le=5000)
    wait: float = Field(0, ge=0, le=MAX_WAIT, description="Seconds to wait for new lines.")


def _lines(run_id: int, after: int, limit: int) -> list[Line]:
    return lines_after(run_id, after, limit)


@router.get("/runs/{run_id}/logs", response=LogPage, summary="A run's output lines")
def run_logs(request: HttpRequest, run_id: ObjectId, query: Query[LogQuery]):
    run = get_run_for(request, run_id)
    lines = _lines(run.id, query.after, query.limit)
    deadline = time.monotonic() + query.wait
    # Each request has its own thread under ASGI, so this wait holds only this request.
    while not lines and run.state in ACTIVE_STATES and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        run = Run.objects.only("state", "log_lines").get(pk=run.pk)
        lines = _lines(run.id, query.after, query.limit)
    last_seq = lines[-1].seq if lines else query.after
    following = request.GET.copy()
    following["after"] = str(last_seq)
    return {
        "items": lines,
        "count": run.log_lines,
        "next": request.build_absolute_uri(f"{request.path}?{following.urlencode()}"),
        "last_seq": last_seq,
        "run_state": run.state,
        "active": run.state in ACTIVE_STATES,
    }
