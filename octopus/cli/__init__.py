"""The `octopus` command: up (everything on one machine), server, worker, and admin tasks.

The API client commands (jobs, runs, logs, workers, alerts, export/apply, import-crontab,
login) live in the sibling modules and talk to a server over HTTP only; they never import
Django.
"""

from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

import click

from octopus.lib import private_files

# Options the server-side commands share.
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=Path("var"),
    show_default=True,
    envvar="OCTOPUS_DATA_DIR",
    help="Database (SQLite), keys and spool.",
)
database_url_option = click.option(
    "--database-url",
    envvar="OCTOPUS_DATABASE_URL",
    default="",
    help="postgresql://… or mysql://…; empty: SQLite in the data directory.",
)


def _setup_django(data_dir: Path | None = None, database_url: str | None = None) -> None:
    # Before anything is written: the database, the key and their companions are private.
    private_files.restrict_umask()
    if data_dir is not None:
        os.environ["OCTOPUS_DATA_DIR"] = str(data_dir)
    if database_url:
        os.environ["OCTOPUS_DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octopus.settings")
    import django

    django.setup()


def _private_data_dir(*also: Path) -> None:
    """Tighten what is already in the data directory (written before Octopus kept it
    private, or by hand): the directory 0700; the key, the SQLite database and its
    companions (and `also`) without group or other access, each with one warning."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    sqlite = database["ENGINE"] == "octopus.lib.sqlite_backend"
    private_files.tighten_data_dir(
        settings.DATA_DIR, Path(database["NAME"]) if sqlite else None, *also
    )


def _migrate() -> None:
    """Migrate, one replica at a time: replicas starting together take turns on a lock."""
    from django.core.management import call_command

    from octopus.cluster.sql import migration_lock

    with migration_lock():
        call_command("migrate", interactive=False, verbosity=0)


def _ensure_admin() -> str | None:
    """Create the admin user on first start; return its password when it was (re)set."""
    from django.contrib.auth import get_user_model

    from octopus.accounts.models import Profile, Role

    user_model = get_user_model()
    given = os.environ.get("OCTOPUS_ADMIN_PASSWORD")
    admin = user_model.objects.filter(username="admin").first()
    if admin is None:
        password = given or secrets.token_urlsafe(12)
        admin = user_model.objects.create_superuser("admin", "", password)
        Profile.objects.update_or_create(user=admin, defaults={"role": Role.ADMIN})
        return password
    if given and not admin.check_password(given):
        admin.set_password(given)
        admin.save(update_fields=["password"])
        return given
    return None


def _local_worker_token(name: str) -> str:
    from octopus.workers.models import Worker
    from octopus.workers.tokens import issue_worker_token

    worker, _ = Worker.objects.get_or_create(name=name, defaults={"hostname": socket.gethostname()})
    return issue_worker_token(worker)


@click.group()
def main() -> None:
    """Octopus (八爪鱼): distributed job scheduling and management."""


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--worker-name", default="local", show_default=True)
def up(data_dir: Path, host: str, port: int, worker_name: str) -> None:
    """Everything on this machine: server, scheduler, monitor and one local worker (SQLite)."""
    from octopus import runner

    job_umask = private_files.restrict_umask()  # the local worker's jobs get this one back
    data_dir = data_dir.resolve()
    data_dir.mkdir(mode=private_files.DIR_MODE, parents=True, exist_ok=True)
    _setup_django(data_dir)
    _private_data_dir(data_dir / "agent")  # the agent tightens what is inside itself
    _migrate()
    password = _ensure_admin()
    token = _local_worker_token(worker_name)
    server = runner.ServerProcess(host, port)
    server.start()
    worker = runner.LocalWorker(server.url, token, worker_name, data_dir / "agent", job_umask)
    worker.start()
    _banner(server.url, data_dir, password)
    try:
        runner.wait_for_signal()
    finally:
        worker.stop()
        server.stop()
    click.echo("Octopus stopped.")


def _banner(url: str, data_dir: Path, password: str | None) -> None:
    click.echo("")
    click.secho(f"  Octopus is running at {url}", bold=True)
    if password:
        click.echo(f"  Log in as admin with password: {password}")
        click.echo("  (shown once; set OCTOPUS_ADMIN_PASSWORD and restart to change it)")
    else:
        click.echo("  Log in as admin (password shown at first start, or OCTOPUS_ADMIN_PASSWORD)")
    click.echo(f"  Data: {data_dir}    Stop: Ctrl-C")
    click.echo("", nl=True)
    sys.stdout.flush()


@main.command()
@data_dir_option
@database_url_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def server(data_dir: Path, database_url: str, host: str, port: int) -> None:
    """The web UI, API and worker endpoint, plus scheduler and monitor while leader."""
    from octopus import runner

    _setup_django(data_dir.resolve(), database_url)
    _private_data_dir()
    _migrate()
    password = _ensure_admin()
    srv = runner.ServerProcess(host, port)
    srv.start()
    _banner(srv.url, data_dir.resolve(), password)
    try:
        runner.wait_for_signal()
    finally:
        srv.stop()


@main.command(
    context_settings={
        "ignore_unknown_options": True,
        "allow_extra_args": True,
        "help_option_names": [],
    }
)
@click.pass_context
def worker(ctx: click.Context) -> None:
    """Run a worker agent on this machine (see `octopus worker --help`)."""
    from octopus_agent.cli import main as agent_main

    agent_main.main(args=ctx.args, prog_name="octopus worker")


@main.command(name="worker-token")
@click.argument("name")
@data_dir_option
def worker_token(name: str, data_dir: Path) -> None:
    """Create worker NAME (or give it a new token) and print its token."""
    _setup_django(data_dir.resolve())
    _migrate()
    click.echo(_local_worker_token(name))


# The API client commands, one module per command group.
from octopus.cli import alerts, jobs, jobs_as_code, login, logs, runs, workers  # noqa: E402
from octopus.cli import crontab as crontab_import  # noqa: E402

for _command in (
    jobs.jobs,
    runs.runs,
    logs.logs,
    workers.workers,
    alerts.alerts,
    jobs_as_code.export,
    jobs_as_code.apply,
    crontab_import.import_crontab,
    login.login,
):
    main.add_command(_command)


@main.command(name="enrollment-token")
@click.option("--uses", default=1, show_default=True, help="How many workers it may enroll.")
@click.option("--hours", default=24, show_default=True, help="How long it stays valid.")
@click.option(
    "--reenroll",
    metavar="NAME",
    default="",
    help="Re-enroll this existing worker (a reinstalled machine, a lost or revoked token): "
    "the token gives it a new token once, and enrolls nothing else.",
)
@data_dir_option
@database_url_option
def enrollment_token(
    uses: int, hours: int, reenroll: str, data_dir: Path, database_url: str
) -> None:
    """Create an enrollment token for new workers (`octopus worker --enroll TOKEN`)."""
    from datetime import timedelta

    _setup_django(data_dir.resolve(), database_url)
    _migrate()
    from octopus.accounts import audit
    from octopus.workers.enrollment import create_enrollment_token
    from octopus.workers.models import Worker

    worker = None
    if reenroll:
        worker = Worker.objects.filter(name=reenroll).first()
        if worker is None:
            raise click.ClickException(f"no worker named {reenroll!r}")
    row, token = create_enrollment_token(
        None, uses=uses, ttl=timedelta(hours=hours), note="created with the CLI", reenroll=worker
    )
    after = {"prefix": row.prefix, "uses": row.uses_left, "via": "cli"}
    if worker is not None:
        after["reenroll"] = worker.name
    audit.record("worker.enrollment_token", after=after)
    click.echo(token)


@main.command(name="revoke-worker")
@click.argument("name")
@data_dir_option
@database_url_option
def revoke_worker_command(name: str, data_dir: Path, database_url: str) -> None:
    """Revoke worker NAME's token: its connection is refused from now on."""
    _setup_django(data_dir.resolve(), database_url)
    from octopus.accounts import audit
    from octopus.workers.models import Worker
    from octopus.workers.tokens import revoke_worker

    worker = Worker.objects.filter(name=name).first()
    if worker is None:
        raise click.ClickException(f"no worker named {name!r}")
    revoke_worker(worker)
    audit.record("worker.revoke", obj=worker, after={"via": "cli"})
    click.echo(f"revoked {name}")


if __name__ == "__main__":
    main()
