"""Trade an enrollment token for this worker's own token, kept in the data directory."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import cast

import httpx

from octopus_agent.private_files import private_dir, tighten, write_private

TOKEN_FILE = "token"


class EnrollmentFailed(Exception):
    """The server refused the enrollment; the message says why."""


def saved_token(data_dir: Path) -> str | None:
    path = data_dir / TOKEN_FILE
    if not path.exists():
        return None
    tighten(path)  # saved before tokens were kept private, or copied in by hand
    return path.read_text().strip()


def save_token(data_dir: Path, token: str) -> None:
    private_dir(data_dir)
    # Created 0600 from the start: the token never sits readable by others.
    write_private(data_dir / TOKEN_FILE, token + "\n")


def enroll(server: str, enrollment_token: str, name: str, data_dir: Path) -> str:
    server = server.split(",")[0].strip()  # any replica will do
    url = server.rstrip("/") + "/agent/v1/enroll"
    body = {"enrollment_token": enrollment_token, "name": name, "hostname": socket.gethostname()}
    try:
        response = httpx.post(url, json=body, timeout=15)
    except httpx.HTTPError as exc:
        raise EnrollmentFailed(f"cannot reach {server}: {exc}") from exc
    if response.status_code != 200:
        try:
            reason = response.json().get("error", response.text)
        except ValueError:
            reason = response.text[:200]
        raise EnrollmentFailed(f"enrollment refused (HTTP {response.status_code}): {reason}")
    token = cast(str, response.json()["worker_token"])  # the enroll endpoint's contract
    save_token(data_dir, token)
    return token
