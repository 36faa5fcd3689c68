"""The CLI's side of the REST API: where the server is, the token, and HTTP with errors a
person can act on.

The server URL and token come from, in order: --url/--token, OCTOPUS_URL/OCTOPUS_TOKEN, the
config file (`octopus login` writes it: $OCTOPUS_CLI_CONFIG, else
$XDG_CONFIG_HOME/octopus/cli.toml, else ~/.config/octopus/cli.toml).
"""

from __future__ import annotations

import json
import os
import sys
import tomllib
from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

import click
import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT = 30.0  # seconds; a long poll adds its own wait on top


class CliError(click.ClickException):
    """Printed as `Error: <message>`, or with --json as {"error": message, "detail": detail}
    (the server's detail, if any); exit status 1."""

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


def config_path() -> Path:
    explicit = os.environ.get("OCTOPUS_CLI_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "octopus" / "cli.toml"


def read_config() -> dict[str, Any]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CliError(f"cannot read the config file {path}: {exc}") from None


def write_config(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # json.dumps of a str is a valid TOML basic string.
    text = f"url = {json.dumps(url)}\ntoken = {json.dumps(token)}\n"
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # the token is a password
    path.write_text(text)
    return path


class Client:
    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url + API_PREFIX,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http.request(
                method,
                path,
                params=params,
                json=body,
                timeout=timeout if timeout is not None else TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise Unreachable(
                f"cannot reach the Octopus server at {self.url} ({_reason(exc)}). "
                "Check --url, OCTOPUS_URL or `octopus login`."
            ) from None
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Any:
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            raise CliError(
                f"{self.url} answered {response.status_code} without JSON: is it an Octopus "
                "server (try the base URL, e.g. http://host:8000)?"
            ) from None
        if response.is_success:
            return data
        message = data.get("error") if isinstance(data, dict) else None
        message = message or f"HTTP {response.status_code}"
        detail = data.get("detail") if isinstance(data, dict) else None
        status = response.status_code
        if status == 401:
            raise CliError(
                f"the server refused the token: {message}. Make a token on "
                f"{self.url}/account/tokens/ and pass it with --token, OCTOPUS_TOKEN or "
                "`octopus login`.",
                detail,
            )
        if status == 403:
            raise CliError(f"not allowed: {message}", detail)
        if status == 422 and isinstance(detail, list) and detail:
            raise InvalidInput(detail)
        if status >= 500:
            raise CliError(f"the server failed ({status}: {message}); see its log", detail)
        raise CliError(message, detail)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def items(self, path: str, limit: int | None = None, **params: Any) -> Iterator[dict]:
        """Every item of a paged list (following `next`), or the first `limit`."""
        page = self.get(path, limit=min(limit or 500, 500), **params)
        given = 0
        while True:
            for item in page["items"]:
                if limit is not None and given >= limit:
                    return
                given += 1
                yield item
            if not page.get("next") or (limit is not None and given >= limit):
                return
            page = self._answer(self._get_url(page["next"]))

    def _get_url(self, url: str) -> httpx.Response:
        try:
            return self.http.get(url)
        except httpx.TransportError as exc:
            raise Unreachable(
                f"cannot reach the Octopus server at {self.url} ({_reason(exc)})"
            ) from None

    def job(self, ref: str) -> dict[str, Any]:
        """A job by name (or by id when no job has that name and it is a number)."""
        found = self.get("/jobs", name=ref, limit=1)["items"]
        if found:
            return found[0]
        if ref.isdigit():
            return self.get(f"/jobs/{ref}")
        raise CliError(f"there is no job named {ref!r} (see `octopus jobs ls`)")


class InvalidInput(CliError):
    """The server refused the input (422); `problems` are [{field, message}]."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p.get('field')}: {p.get('message')}" for p in problems)
        super().__init__(f"invalid input:\n{lines}", problems)


class Unreachable(CliError):
    """The server did not answer at all."""


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    return text


def make_client(url: str | None, token: str | None) -> Client:
    config = read_config() if not (url and token) else {}
    url = url or config.get("url") or DEFAULT_URL
    token = token or config.get("token")
    if not token:
        raise CliError(
            "no API token: pass --token, set OCTOPUS_TOKEN, or run "
            "`octopus login --url URL --token TOKEN` (make a token on the server's "
            "API tokens page)"
        )
    return Client(url, token)


def print_error_json(exc: click.ClickException) -> None:
    """An error as scripts read it (--json): {"error": sentence, "detail": more or null} on
    stderr, the shape of the API's own errors."""
    error = {"error": exc.format_message(), "detail": getattr(exc, "detail", None)}
    sys.stderr.write(json.dumps(error, ensure_ascii=False) + "\n")


def api_command(func: Callable) -> Callable:
    """Give a command --url, --token and --json, and pass it `client` and `as_json`. With
    --json, an error is printed as JSON (print_error_json) instead of `Error: …`."""

    @click.option("--url", envvar="OCTOPUS_URL", help="Server URL [env OCTOPUS_URL].")
    @click.option("--token", envvar="OCTOPUS_TOKEN", help="API token [env OCTOPUS_TOKEN].")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    @wraps(func)
    def wrapper(
        *args: Any, url: str | None, token: str | None, as_json: bool, **kwargs: Any
    ) -> Any:
        try:
            return func(*args, client=make_client(url, token), as_json=as_json, **kwargs)
        except click.ClickException as exc:
            if not as_json:
                raise
            print_error_json(exc)
            raise SystemExit(exc.exit_code) from None

    return wrapper
