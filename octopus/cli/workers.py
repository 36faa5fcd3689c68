"""`octopus workers ls`."""

from __future__ import annotations

from typing import Any

import click

from octopus.cli import output
from octopus.cli.client import Client, api_command
from octopus.cli.output import print_json, when


@click.group()
def workers() -> None:
    """The machines that run jobs."""


def _load(worker: dict[str, Any]) -> str:
    load = worker.get("load") or {}
    if not load:
        return "—"
    cpu, memory, load1 = load.get("cpu", 0), load.get("memory", 0), load.get("load1", 0)
    return f"cpu {cpu:.0f}% mem {memory:.0f}% load {load1:.2f}"


@workers.command("ls")
@click.option("--state", type=click.Choice(["online", "draining", "offline"]))
@api_command
def list_workers(client: Client, as_json: bool, state: str | None) -> None:
    """List workers with their labels and load."""
    found = list(client.items("/workers", state=state))
    if as_json:
        print_json(found)
        return
    output.table(
        ["NAME", "STATE", "HOST", "LABELS", "LOAD", "RUNNING", "LAST SEEN"],
        (
            [
                w["name"],
                output.state(
                    w["state"] if w["connected"] or w["state"] == "offline" else "offline"
                ),
                w["hostname"] or "—",
                ", ".join(w["labels"]) or "—",
                _load(w),
                w["running_count"],
                when(w["last_seen"]),
            ]
            for w in found
        ),
        empty="No workers.",
    )
