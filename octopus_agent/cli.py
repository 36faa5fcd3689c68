"""`octopus worker`: run the agent on this machine until SIGTERM/SIGINT (twice to force)."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from pathlib import Path

import click

from octopus_agent.agent import Agent
from octopus_agent.config import (
    DRAIN_TIMEOUT,
    HEARTBEAT_INTERVAL,
    OUTPUT_WINDOW_BYTES,
    SPOOL_MAX_BYTES,
    Config,
)
from octopus_agent.enrollment import EnrollmentFailed, enroll, saved_token


@click.command(name="worker", context_settings={"auto_envvar_prefix": "OCTOPUS_AGENT"})
@click.option("--server", required=True, help="URL of an Octopus server, e.g. http://10.0.0.5:8000")
@click.option("--token", default="", help="This worker's token (or OCTOPUS_AGENT_TOKEN).")
@click.option(
    "--enroll",
    "enrollment_token",
    default="",
    help="Enrollment token from an admin: traded for this worker's own token.",
)
@click.option("--name", default=socket.gethostname, show_default="host name")
@click.option("--labels", default="", help="Extra labels, comma separated.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=Path("var/agent"),
    show_default=True,
    help="Where the outbox spool lives.",
)
@click.option("--heartbeat-interval", type=float, default=HEARTBEAT_INTERVAL, show_default=True)
@click.option(
    "--drain-timeout",
    type=float,
    default=DRAIN_TIMEOUT,
    show_default=True,
    help="Seconds to let running jobs finish after SIGTERM.",
)
@click.option(
    "--spool-max-mb",
    type=int,
    default=SPOOL_MAX_BYTES // 2**20,
    show_default=True,
    help="Disk the outbox may use while the server is unreachable.",
)
@click.option(
    "--output-window-kb",
    type=int,
    default=OUTPUT_WINDOW_BYTES // 1024,
    show_default=True,
    help="Output waiting for the (connected) server beyond this slows the jobs' output to "
    "the server's pace; 0: never.",
)
@click.option(
    "--pass-env",
    "pass_env",
    multiple=True,
    metavar="NAME",
    help="Give jobs this variable of the agent's environment (repeatable, or "
    "OCTOPUS_AGENT_PASS_ENV=NAME1,NAME2). Of the rest they get only PATH, HOME, USER, "
    "LOGNAME, SHELL, LANG, LC_*, TZ and TMPDIR.",
)
@click.option("--no-detect-runtimes", is_flag=True, help="Do not probe for language runtimes.")
@click.option("--log-level", default="INFO", show_default=True)
def main(
    server: str,
    token: str,
    enrollment_token: str,
    name: str,
    labels: str,
    data_dir: Path,
    heartbeat_interval: float,
    drain_timeout: float,
    spool_max_mb: int,
    output_window_kb: int,
    pass_env: tuple[str, ...],
    no_detect_runtimes: bool,
    log_level: str,
) -> None:
    """Run jobs sent by an Octopus server on this machine."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    token = token or saved_token(data_dir) or ""
    if not token and enrollment_token:
        try:
            token = enroll(server, enrollment_token, name, data_dir)
        except EnrollmentFailed as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"enrolled as {name}; token saved in {data_dir}")
    if not token:
        raise click.UsageError(
            "no token: pass --enroll with an enrollment token from an admin (first start) "
            "or --token"
        )
    config = Config(
        server=server,
        token=token,
        name=name,
        labels=[label.strip() for label in labels.split(",") if label.strip()],
        data_dir=data_dir,
        heartbeat_interval=heartbeat_interval,
        drain_timeout=drain_timeout,
        spool_max_bytes=spool_max_mb * 2**20,
        output_window_bytes=output_window_kb * 1024,
        detect_runtimes=not no_detect_runtimes,
        # Each value may name several, comma separated (as OCTOPUS_AGENT_PASS_ENV does).
        pass_env=[name.strip() for value in pass_env for name in value.split(",") if name.strip()],
    )
    asyncio.run(_serve(config))


async def _serve(config: Config) -> None:
    agent = Agent(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, agent.request_stop)
    await agent.run()


if __name__ == "__main__":
    main()
