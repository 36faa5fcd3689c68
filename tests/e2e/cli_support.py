"""Run the real `octopus` command against a real server, as a person or a script would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.e2e.octopus_process import Browserless


def make_api_token(url: str, name: str = "cli tests") -> str:
    """Log in to the web UI as admin and make a personal API token on the tokens page."""
    user = Browserless(url)
    assert user.login().url.path != "/login/", "login failed"
    page = user.client.post(
        "/account/tokens/",
        data={"name": name, "csrfmiddlewaretoken": user.csrf("/account/tokens/")},
    )
    match = re.search(r'id="new-token">([^<]+)<', page.text)
    assert match, "the tokens page showed no new token"
    return match.group(1)


class Cli:
    """`python -m octopus.cli …` with the server URL and token in the environment."""

    def __init__(self, url: str, token: str, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "OCTOPUS_URL": url,
            "OCTOPUS_TOKEN": token,
            # Never read or write the real user's config.
            "OCTOPUS_CLI_CONFIG": str(home / "cli.toml"),
            "COLUMNS": "200",
        }
        for name in ("OCTOPUS_DATA_DIR", "DJANGO_SETTINGS_MODULE"):
            self.env.pop(name, None)
        self.cwd = home

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "octopus.cli", *args]

    def run(
        self, *args: str, ok: bool = True, env: dict | None = None, input: str | None = None
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            self.command(*args),
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
            input=input,
            timeout=120,
        )
        if ok:
            assert done.returncode == 0, f"octopus {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
