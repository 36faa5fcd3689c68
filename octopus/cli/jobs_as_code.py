"""Jobs as code: `octopus export > jobs.yaml`, `octopus apply jobs.yaml [--prune] [--dry-run]`.

The file is a YAML mapping with a `jobs` list; each entry is a job spec (the API's JobSpec:
`name` and `command`, plus any setting that differs from its default). `apply` sends the
whole file to POST /api/v1/jobs/apply, which checks every entry before changing anything.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import yaml

from octopus.cli import bounded_yaml
from octopus.cli.client import Client, CliError, InvalidInput, api_command
from octopus.cli.output import err, out, print_json, styled


def dump_jobs(specs: list[dict[str, Any]], header: str) -> str:
    body = yaml.safe_dump(
        {"jobs": specs}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return header + body


def load_jobs(text: str, source: str) -> list[dict[str, Any]]:
    """The job entries of a jobs file, or CliError saying what is wrong with it."""
    try:
        data = bounded_yaml.load(text)
    except yaml.YAMLError as exc:
        raise CliError(f"{source} is not valid YAML: {exc}") from None
    except bounded_yaml.YamlTooBig as exc:
        raise CliError(f"{source} is refused: {exc}") from None
    if isinstance(data, dict) and set(data) == {"jobs"}:
        data = data["jobs"]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise CliError(f"{source}: expected a mapping with a `jobs:` list (or a list of jobs)")
    for number, entry in enumerate(data, 1):
        if not isinstance(entry, dict):
            raise CliError(f"{source}: job {number} is not a mapping of settings")
    return data


def describe_problems(exc: InvalidInput, entries: list[dict[str, Any]], source: str) -> str:
    """'jobs[2].schedule: …' → 'job 3 (nightly) schedule: …', so the file's author finds it."""
    lines = []
    for problem in exc.problems:
        field = str(problem.get("field", ""))
        match = re.match(r"jobs\[(\d+)\]\.?(.*)", field)
        if match:
            index = int(match.group(1))
            name = entries[index].get("name", "?") if index < len(entries) else "?"
            where = f"job {index + 1} ({name}) {match.group(2) or ''}".rstrip()
        else:
            where = field
        lines.append(f"  {where}: {problem.get('message')}")
    return f"{source}: nothing was changed:\n" + "\n".join(lines)


def print_plan(result: dict[str, Any]) -> None:
    for name in result["created"]:
        out.print(styled(("+ create", "green"), f"  {name}"))
    for update in result["updated"]:
        out.print(styled(("~ update", "yellow"), f"  {update['name']}"))
        for field, change in update["changes"].items():
            out.print(f"      {field}: {change['from']!r} → {change['to']!r}", markup=False)
    for name in result["deleted"]:
        out.print(styled(("- delete", "red"), f"  {name}"))
    created, updated, deleted = (len(result[k]) for k in ("created", "updated", "deleted"))
    unchanged = len(result["unchanged"])
    if result["dry_run"]:
        out.print(
            f"Dry run: {created} to create, {updated} to update, {deleted} to delete, "
            f"{unchanged} unchanged. Nothing was changed."
        )
    else:
        out.print(
            f"Applied: {created} created, {updated} updated, {deleted} deleted, "
            f"{unchanged} unchanged."
        )


def apply_entries(
    client: Client, entries: list[dict[str, Any]], source: str, prune: bool, dry_run: bool
) -> dict[str, Any]:
    try:
        return client.post("/jobs/apply", {"jobs": entries, "prune": prune, "dry_run": dry_run})
    except InvalidInput as exc:
        raise CliError(describe_problems(exc, entries, source)) from None


@click.command()
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File.")
@api_command
def export(client: Client, as_json: bool, output: Path | None) -> None:
    """Print every job as YAML (jobs as code), to apply elsewhere with `octopus apply`."""
    specs = client.get("/jobs/export")["jobs"]
    if as_json:
        print_json({"jobs": specs})
        return
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = dump_jobs(
        specs,
        f"# Octopus jobs exported from {client.url} at {stamp}.\n# Apply: octopus apply FILE\n",
    )
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        err.print(f"Wrote {len(specs)} job(s) to {output}.", markup=False)


@click.command()
@click.argument("file", type=click.File("r"))
@click.option("--prune", is_flag=True, help="Delete the jobs that are not in the file.")
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@api_command
def apply(client: Client, as_json: bool, file, prune: bool, dry_run: bool) -> None:
    """Make the server's jobs match FILE ('-' for stdin): all of it, or nothing."""
    source = "stdin" if file.name == "<stdin>" else file.name
    entries = load_jobs(file.read(), source)
    result = apply_entries(client, entries, source, prune, dry_run)
    if as_json:
        print_json(result)
    else:
        print_plan(result)
