"""`octopus import-crontab FILE`: a crontab's entries become jobs (through the API)."""

from __future__ import annotations

from pathlib import Path

import click

from octopus.cli.client import Client, CliError, api_command
from octopus.cli.jobs_as_code import apply_entries, print_plan
from octopus.cli.output import err, print_json, styled
from octopus.jobs.crontab import IMPORTED, convert


def local_zone() -> str:
    """This machine's IANA time zone (a crontab fires in local time), else UTC."""
    timezone_file = Path("/etc/timezone")
    if timezone_file.exists():
        name = timezone_file.read_text().strip()
        if name:
            return name
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    return "UTC"


@click.command("import-crontab")
@click.argument("file", type=click.File("r"))
@click.option("--prefix", default="", help="Put this before every job name, e.g. web1-.")
@click.option("--tz", "time_zone", help="Time zone of the schedules [default: this machine's].")
@click.option(
    "--system", is_flag=True, help="/etc/crontab format: a user field before the command."
)
@click.option("--dry-run", is_flag=True, help="Only show what would change.")
@click.option(
    "--replace",
    is_flag=True,
    help="Also overwrite jobs of the same name that were not imported from a crontab.",
)
@api_command
def import_crontab(
    client: Client,
    as_json: bool,
    file,
    prefix: str,
    time_zone: str | None,
    system: bool,
    dry_run: bool,
    replace: bool,
) -> None:
    """Turn the entries of crontab FILE ('-' for stdin) into jobs, created or updated by name.

    Environment lines become the jobs' environment, @daily-style shortcuts and the five
    time fields their schedule. Lines that cannot be converted (@reboot, a bad field…) are
    listed with the reason; the others are applied all together.
    """
    source = "stdin" if file.name == "<stdin>" else file.name
    conversion = convert(
        file.read(), time_zone=time_zone or local_zone(), prefix=prefix, system=system
    )
    for problem in conversion.problems:
        # The file's own text and the reason (which quotes it) are printed as they are.
        err.print(
            styled(
                (f"{source}:{problem.line_number}: not converted: {problem.reason}", "yellow"),
                f"\n    {problem.line.strip()}",
            )
        )
    if not conversion.jobs:
        raise CliError(f"{source}: no crontab entry could be converted")
    if not replace:
        _refuse_to_overwrite(client, [job["name"] for job in conversion.jobs])
    result = apply_entries(client, conversion.jobs, source, prune=False, dry_run=dry_run)
    if as_json:
        print_json({**result, "not_converted": [p.__dict__ for p in conversion.problems]})
        return
    print_plan(result)
    if conversion.problems:
        err.print(f"{len(conversion.problems)} line(s) not converted (see above).")


def _refuse_to_overwrite(client: Client, names: list[str]) -> None:
    """Re-importing a crontab updates the jobs it made; a job someone made by hand that
    happens to have the same name is not overwritten without --replace."""
    wanted = set(names)
    taken = [
        job["name"]
        for job in client.get("/jobs/export")["jobs"]
        if job["name"] in wanted and not job.get("description", "").startswith(IMPORTED)
    ]
    if taken:
        raise CliError(
            "these jobs exist and were not imported from a crontab: "
            + ", ".join(sorted(taken))
            + ". Use --prefix to give the imported jobs other names, or --replace to"
            " overwrite them."
        )
