"""Build the shell command and environment a run starts with."""

from __future__ import annotations

import re
import shlex
from typing import TYPE_CHECKING

from octopus.jobs.models import Concurrency
from octopus_agent import protocol

if TYPE_CHECKING:
    from octopus.runs.models import Run

PLACEHOLDER = re.compile(r"\{(cursor|args)\}")


def render_command(command: str, args: list[str], cursor: str) -> str:
    """Substitute `{cursor}` and `{args}`, each shell-quoted, in one pass (so a cursor that
    contains the text `{args}` is never expanded). Args are appended when the command has
    no `{args}` placeholder."""
    quoted_args = " ".join(shlex.quote(arg) for arg in args)
    values = {"cursor": shlex.quote(cursor), "args": quoted_args}
    text = PLACEHOLDER.sub(lambda m: values[m.group(1)], command)
    if args and "{args}" not in command:
        text = f"{text} {quoted_args}"
    return text


def parse_args(text: str) -> list[str]:
    """Split an args field the way a shell would; raise ValueError on unbalanced quotes."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split the arguments: {exc}") from None


def run_spec(run: Run) -> protocol.RunSpec:
    job = run.job
    env = {str(k): str(v) for k, v in job.env.items()}
    env.update(
        OCTOPUS_RUN_ID=str(run.id),
        OCTOPUS_JOB=job.name,
        OCTOPUS_ATTEMPT=str(run.attempt),
        OCTOPUS_CURSOR=run.cursor_start or "",
    )
    if run.scheduled_for:
        env["OCTOPUS_SCHEDULED_FOR"] = run.scheduled_for.isoformat()
    return protocol.RunSpec(
        run_id=run.id,
        job_name=job.name,
        command=run.command,
        env=env,
        workdir=job.workdir,
        run_as=job.run_as,
        timeout=float(job.timeout),
        heartbeat_timeout=float(job.heartbeat_timeout),
        fence=job.concurrency != Concurrency.ALLOW,
    )
