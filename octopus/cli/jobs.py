"""`octopus jobs ls|show|create|edit|enable|disable|rm|run`."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import click
import yaml

from octopus.cli import bounded_yaml, output
from octopus.cli.client import Client, api_command
from octopus.cli.output import out, print_json, state, when


@click.group()
def jobs() -> None:
    """List, read, create, change, delete and run jobs."""


def _target(job: dict[str, Any]) -> str:
    parts = []
    if job.get("target_worker"):
        parts.append(f"worker {job['target_worker']}")
    if job.get("target_labels"):
        parts.append("labels " + ",".join(job["target_labels"]))
    return " ".join(parts) or "any"


def _next(job: dict[str, Any]) -> str:
    if not job["schedule"]:
        return "manual runs only"
    if not job["enabled"]:
        return "disabled: no scheduled runs"
    return f"next firing {when(job['next_fire_at'])}"


def _last_run(job: dict[str, Any]) -> Any:
    last = job.get("last_run")
    if not last:
        return "—"
    text = state(last["state"])
    text.append(f" #{last['id']}", style="dim")
    return text


@jobs.command("ls")
@click.option("--search", "-q", help="Text in the name or command.")
@click.option("--tag", help="Only jobs with this tag.")
@click.option("--enabled/--disabled", default=None, help="Only enabled (or disabled) jobs.")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many.")
@api_command
def list_jobs(
    client: Client, as_json: bool, search: str | None, tag: str | None, enabled, limit
) -> None:
    """List jobs by name."""
    found = list(client.items("/jobs", limit=limit, q=search, tag=tag, enabled=enabled))
    if as_json:
        print_json(found)
        return
    output.table(
        ["NAME", "SCHEDULE", "TIME ZONE", "ENABLED", "TARGET", "LAST RUN", "NEXT FIRING"],
        (
            [
                job["name"],
                job["schedule"] or "manual",
                job["time_zone"],
                "yes" if job["enabled"] else "no",
                _target(job),
                _last_run(job),
                when(job["next_fire_at"]),
            ]
            for job in found
        ),
        empty="No jobs.",
    )


@jobs.command("show")
@click.argument("name")
@api_command
def show_job(client: Client, as_json: bool, name: str) -> None:
    """Show one job's settings and state."""
    job = client.job(name)
    if as_json:
        print_json(job)
        return
    output.fields(
        [
            ("name", job["name"]),
            ("id", job["id"]),
            ("description", job["description"]),
            ("command", job["command"]),
            ("default args", shlex.join(job["default_args"])),
            ("schedule", f"{job['schedule'] or 'manual only'} ({job['time_zone']})"),
            ("enabled", job["enabled"]),
            ("next firing", when(job["next_fire_at"])),
            ("last run", _last_run(job)),
            ("target", f"{_target(job)}, {job['routing']}"),
            ("concurrency", f"{job['concurrency']} (max {job['max_parallel']})"),
            ("retries", f"{job['retries']} ({job['retry_backoff']} s {job['retry_backoff_kind']})"),
            ("timeout", f"{job['timeout']} s" if job["timeout"] else "none"),
            (
                "heartbeat timeout",
                f"{job['heartbeat_timeout']} s" if job["heartbeat_timeout"] else "off",
            ),
            ("end line required", job["require_end_marker"]),
            ("misfire", job["misfire_policy"]),
            ("run as", job["run_as"]),
            ("directory", job["workdir"]),
            ("environment", job["env"]),
            ("tags", job["tags"]),
            ("alert level", job["alert_level"]),
            ("cursor", job["cursor"]),
            ("owner", job["owner"]),
            ("updated", when(job["updated"])),
        ]
    )


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    result = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected {what}=VALUE, got {value!r}")
        result[key] = rest
    return result


def spec_options(func: Callable) -> Callable:
    """The job settings as options; only the ones given end up in the request."""
    options = [
        click.option("--command", "-c", help="Shell command; may use {args} and {cursor}."),
        click.option(
            "--schedule", "-s", help="Cron (5 fields, or 6 with seconds) or @daily…; '' = manual."
        ),
        click.option("--tz", "time_zone", help="Time zone of the schedule, e.g. Asia/Shanghai."),
        click.option("--args", "args_text", help="Default arguments, shell-quoted."),
        click.option("--env", multiple=True, help="NAME=value (repeatable)."),
        click.option("--label", multiple=True, help="A label the worker must have (repeatable)."),
        click.option("--worker", help="Run on this worker only ('' = any)."),
        click.option("--tag", multiple=True, help="Tag (repeatable)."),
        click.option("--description", "-d"),
        click.option("--enabled/--disabled", default=None),
        click.option("--timeout", type=int, help="Seconds; 0 = none."),
        click.option("--retries", type=int, help="Restarts on failure."),
        click.option(
            "--set",
            "extra",
            multiple=True,
            help="Any other setting as FIELD=VALUE, VALUE in YAML (e.g. --set concurrency=allow).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def spec_body(given: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key in ("command", "schedule", "time_zone", "description", "enabled", "timeout", "retries"):
        if given.get(key) is not None:
            body[key] = given[key]
    if given.get("args_text") is not None:
        try:
            body["default_args"] = shlex.split(given["args_text"])
        except ValueError as exc:
            raise click.BadParameter(f"cannot split the arguments: {exc}") from None
    if given.get("env"):
        body["env"] = _pairs(given["env"], "NAME")
    if given.get("label"):
        body["target_labels"] = list(given["label"])
    if given.get("tag"):
        body["tags"] = list(given["tag"])
    if given.get("worker") is not None:
        body["target_worker"] = given["worker"] or None
    for key, text in _pairs(given.get("extra", ()), "FIELD").items():
        try:
            body[key] = bounded_yaml.load(text) if text else ""
        except (yaml.YAMLError, bounded_yaml.YamlTooBig) as exc:
            raise click.BadParameter(f"--set {key}: not a YAML value: {exc}") from None
    return body


@jobs.command("create")
@click.argument("name")
@spec_options
@api_command
def create_job(client: Client, as_json: bool, name: str, **given: Any) -> None:
    """Create job NAME (needs at least --command)."""
    if not given.get("command"):
        raise click.UsageError("a job needs --command")
    job = client.post("/jobs", {"name": name, **spec_body(given)})
    if as_json:
        print_json(job)
    else:
        out.print(f"Created job {job['name']} (id {job['id']}); {_next(job)}.", markup=False)


@jobs.command("edit")
@click.argument("name")
@click.option("--rename", help="New name.")
@spec_options
@api_command
def edit_job(client: Client, as_json: bool, name: str, rename: str | None, **given: Any) -> None:
    """Change some settings of job NAME (only the options given)."""
    body = spec_body(given)
    if rename:
        body["name"] = rename
    if not body:
        raise click.UsageError("nothing to change: give at least one setting option")
    job = client.patch(f"/jobs/{client.job(name)['id']}", body)
    if as_json:
        print_json(job)
    else:
        out.print(f"Saved job {job['name']}.", markup=False)


def _toggle(client: Client, as_json: bool, name: str, action: str) -> None:
    job = client.post(f"/jobs/{client.job(name)['id']}/{action}")
    if as_json:
        print_json(job)
    else:
        out.print(f"Job {job['name']} {action}d; {_next(job)}.", markup=False)


@jobs.command("enable")
@click.argument("name")
@api_command
def enable_job(client: Client, as_json: bool, name: str) -> None:
    """Enable job NAME (its schedule fires again)."""
    _toggle(client, as_json, name, "enable")


@jobs.command("disable")
@click.argument("name")
@api_command
def disable_job(client: Client, as_json: bool, name: str) -> None:
    """Disable job NAME (no scheduled runs; it can still be run by hand)."""
    _toggle(client, as_json, name, "disable")


@jobs.command("rm")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@api_command
def remove_job(client: Client, as_json: bool, name: str, yes: bool) -> None:
    """Delete job NAME with its runs and logs."""
    job = client.job(name)
    if not yes:
        click.confirm(f"Delete job {job['name']} with all its runs and logs?", abort=True)
    client.delete(f"/jobs/{job['id']}")
    if as_json:
        print_json({"deleted": job["name"]})
    else:
        out.print(f"Deleted job {job['name']}.", markup=False)


@jobs.command("run")
@click.argument("name")
@click.option("--args", "args_text", help="Arguments for this run only, shell-quoted.")
@click.option("--cursor", help="Cursor for this run only.")
@click.option("--follow", "-f", is_flag=True, help="Print its output until it ends.")
@api_command
def run_job(
    client: Client,
    as_json: bool,
    name: str,
    args_text: str | None,
    cursor: str | None,
    follow: bool,
) -> None:
    """Run job NAME now. With -f, exit 0 only if the run succeeds."""
    from octopus.cli.logs import follow_run

    body: dict[str, Any] = {"cursor": cursor}
    if args_text is not None:
        try:
            body["args"] = shlex.split(args_text)
        except ValueError as exc:
            raise click.BadParameter(f"cannot split the arguments: {exc}") from None
    run = client.post(f"/jobs/{client.job(name)['id']}/runs", body)
    if as_json and not follow:
        print_json(run)
        return
    output.err.print(f"Run {run['id']} of {run['job']} queued.", markup=False)
    if follow:
        final = follow_run(client, run["id"], follow=True, as_json=as_json)
        if final != "succeeded":
            raise SystemExit(1)
    else:
        out.print(str(run["id"]), markup=False)
