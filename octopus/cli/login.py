"""`octopus login --url URL --token TOKEN`: check the token and keep both for next time."""

from __future__ import annotations

import click

from octopus.cli.client import Client, write_config
from octopus.cli.output import out


@click.command()
@click.option("--url", envvar="OCTOPUS_URL", required=True, help="Server URL.")
@click.option(
    "--token", envvar="OCTOPUS_TOKEN", prompt=True, hide_input=True, help="Personal API token."
)
def login(url: str, token: str) -> None:
    """Check a personal API token against the server and save both to the config file."""
    me = Client(url, token).get("/me")
    path = write_config(url.rstrip("/"), token)
    out.print(
        f"Logged in to {url} as {me['username']} ({me['role']}); saved to {path}.", markup=False
    )
