"""`octopus runs ls|show|cancel`."""

from __future__ import annotations

import shlex
from typing import Any

import click

from octopus.cli import output
from octopus.cli.client import Client, api_command
from octopus.cli.output import out, print_json, state, when

STATES = [
    "queued",
    "dispatched",
    "running",
    "succeeded",
    "failed",
    "timed_out",
    "hung",
    "lost",
    "cancelled",
    "skipped",
]


@click.group()
def runs() -> None:
    """List, read and cancel runs."""


def _duration(run: dict[str, Any]) -> str:
    seconds = run.get("duration")
    if seconds is None:
        return "—"
    return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


@runs.command("ls")
@click.option("--job", help="Only runs of this job (name).")
@click.option("--state", type=click.Choice(STATES), help="Only runs in this state.")
@click.option("--worker", help="Only runs on this worker.")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@api_command
def list_runs(
    client: Client,
    as_json: bool,
    job: str | None,
    state: str | None,
    worker: str | None,
    limit: int,
) -> None:
    """List runs, newest first."""
    found = list(client.items("/runs", limit=limit, job=job, state=state, worker=worker))
    if as_json:
        print_json(found)
        return
    output.table(
        ["RUN", "JOB", "STATE", "TRIGGER", "WORKER", "CREATED", "DURATION", "REASON"],
        (
            [
                run["id"],
                run["job"],
                output.state(run["state"]),
                run["trigger"],
                run["worker"] or "—",
                when(run["created"]),
                _duration(run),
                run["reason"],
            ]
            for run in found
        ),
        empty="No runs.",
    )


@runs.command("show")
@click.argument("run_id", type=int)
@api_command
def show_run(client: Client, as_json: bool, run_id: int) -> None:
    """Show one run."""
    run = client.get(f"/runs/{run_id}")
    if as_json:
        print_json(run)
        return
    show(run)


def show(run: dict[str, Any]) -> None:
    output.fields(
        [
            ("run", run["id"]),
            ("job", run["job"]),
            ("state", state(run["state"])),
            ("reason", run["reason"]),
            ("exit code", run["exit_code"]),
            ("trigger", f"{run['trigger']} by {run['triggered_by'] or 'the scheduler'}"),
            ("attempt", run["attempt"]),
            ("args", shlex.join(run["args"])),
            ("cursor", run["cursor_start"]),
            ("command", run["command"]),
            ("worker", run["worker"]),
            ("scheduled for", when(run["scheduled_for"])),
            ("created", when(run["created"])),
            ("started", when(run["started_at"])),
            ("finished", when(run["finished_at"])),
            ("duration", _duration(run)),
            ("log lines", run["log_lines"]),
        ]
    )


@runs.command("cancel")
@click.argument("run_id", type=int)
@api_command
def cancel_run(client: Client, as_json: bool, run_id: int) -> None:
    """Cancel a run: a queued one at once, a running one via its worker."""
    run = client.post(f"/runs/{run_id}/cancel")
    if as_json:
        print_json(run)
    elif run["state"] == "cancelled":
        out.print(f"Run {run_id} cancelled.", markup=False)
    else:
        out.print(f"Run {run_id} is {run['state']}: its worker was told to stop it.", markup=False)
