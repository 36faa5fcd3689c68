"""`octopus logs RUN [-f]` and `octopus logs --job NAME [-f]`: a run's output over HTTP.

Following is a loop of long polls (GET …/logs?after=SEQ&wait=N): each asks for the lines
after the last one printed, so a dropped connection is simply asked again, with no line
missing or printed twice.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import click

from octopus.cli.client import Client, CliError, Unreachable, api_command
from octopus.cli.output import err, styled

WAIT = 20  # seconds per long poll
PAGE = 1000  # lines per request
RETRY_DELAY = 2.0  # seconds between attempts while the server is unreachable
NEW_RUN_POLL = 1.0  # seconds between looks for a job's next run


def _print_lines(items: list[dict[str, Any]], as_json: bool) -> None:
    for line in items:
        if as_json:
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(line["text"] + "\n")
    sys.stdout.flush()


def _retrying(follow: bool, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """call(*args, **kwargs); while following, an unreachable server is waited for."""
    warned = False
    while True:
        try:
            return call(*args, **kwargs)
        except Unreachable as exc:
            if not follow:
                raise
            if not warned:
                err.print(styled((f"{exc.message} Retrying…", "yellow")))
                warned = True
            time.sleep(RETRY_DELAY)


def follow_run(client: Client, run_id: int, follow: bool, as_json: bool = False) -> str:
    """Print the run's lines (all of them; with `follow`, until it ends). Return its state."""
    after = 0
    while True:
        page = _retrying(
            follow,
            client.request,
            "GET",
            f"/runs/{run_id}/logs",
            params={"after": after, "limit": PAGE, "wait": WAIT if follow else 0},
            timeout=WAIT + 15,
        )
        _print_lines(page["items"], as_json)
        after = page["last_seq"]
        if page["items"] and len(page["items"]) == PAGE:
            continue  # more are stored already
        if not page["active"] or not follow:
            if follow:
                err.print(styled((f"run {run_id} {page['run_state']}", "dim")))
            return page["run_state"]


def _newest_run(client: Client, job_id: int, after_id: int | None = None) -> dict[str, Any] | None:
    """The job's newest run (after_id None), or its oldest one newer than `after_id`; runs
    skipped by the concurrency rule have no output and are passed over."""
    if after_id is not None:
        found = client.get("/runs", job_id=job_id, after_id=after_id, order="oldest", limit=50)
    else:
        found = client.get("/runs", job_id=job_id, limit=20)
    for run in found["items"]:
        if run["state"] != "skipped":
            return run
    return None


def follow_job(client: Client, job: dict[str, Any], follow: bool, as_json: bool) -> None:
    run = _retrying(follow, _newest_run, client, job["id"])
    if run is None and not follow:
        raise CliError(f"job {job['name']} has no runs yet")
    # With no run yet, every run to come is followed from the first: several may start
    # between two looks.
    last_id = 0
    if run is not None:
        err.print(styled((f"── run {run['id']} ({run['trigger']}, {run['state']}) ──", "dim")))
        follow_run(client, run["id"], follow, as_json)
        last_id = run["id"]
    if not follow:
        return
    err.print(styled((f"waiting for the next run of {job['name']}… (Ctrl-C to stop)", "dim")))
    while True:
        run = _retrying(follow, _newest_run, client, job["id"], after_id=last_id)
        if run is None:
            time.sleep(NEW_RUN_POLL)
            continue
        err.print(styled((f"── run {run['id']} ({run['trigger']}) ──", "dim")))
        follow_run(client, run["id"], follow, as_json)
        last_id = run["id"]


@click.command()
@click.argument("run_id", type=int, required=False)
@click.option("--job", "job_name", help="The job's latest run (with -f: and the next ones).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing as lines arrive.")
@api_command
def logs(
    client: Client, as_json: bool, run_id: int | None, job_name: str | None, follow: bool
) -> None:
    """Print a run's output (RUN), or a job's latest run's (--job NAME)."""
    if (run_id is None) == (job_name is None):
        raise click.UsageError("give a RUN id or --job NAME (one of them)")
    try:
        if job_name is not None:
            follow_job(client, client.job(job_name), follow, as_json)
        elif run_id is not None:  # one of the two, as checked above
            follow_run(client, run_id, follow, as_json)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
