"""`octopus alerts ls|ack`."""

from __future__ import annotations

import click

from octopus.cli import output
from octopus.cli.client import Client, api_command
from octopus.cli.output import out, print_json, when


@click.group()
def alerts() -> None:
    """Alerts about failed runs, missed schedules and lost workers."""


@alerts.command("ls")
@click.option(
    "--state",
    type=click.Choice(["open", "acknowledged", "resolved", "all"]),
    default="open",
    show_default=True,
)
@click.option("--job", help="Only alerts about this job.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@api_command
def list_alerts(client: Client, as_json: bool, state: str, job: str | None, limit: int) -> None:
    """List alerts, latest first."""
    found = list(
        client.items("/alerts", limit=limit, state=None if state == "all" else state, job=job)
    )
    if as_json:
        print_json(found)
        return
    output.table(
        ["ID", "STATE", "KIND", "JOB", "COUNT", "LAST SEEN", "TITLE"],
        (
            [
                a["id"],
                output.state(a["state"]),
                a["kind"],
                a["job"] or a["worker"] or "—",
                a["count"],
                when(a["last_seen"]),
                a["title"],
            ]
            for a in found
        ),
        empty=f"No {'' if state == 'all' else state + ' '}alerts.",
    )


@alerts.command("ack")
@click.argument("alert_id", type=int)
@api_command
def ack_alert(client: Client, as_json: bool, alert_id: int) -> None:
    """Acknowledge an open alert (you are on it)."""
    alert = client.post(f"/alerts/{alert_id}/ack")
    if as_json:
        print_json(alert)
    else:
        out.print(f"Alert {alert_id} acknowledged by {alert['acknowledged_by']}.", markup=False)
