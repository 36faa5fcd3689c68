"""Drive real Octopus processes from tests: start `octopus up`, talk to it like a user."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.databases import InstanceDatabase

ADMIN_PASSWORD = "e2e-admin-password"

JOB_DEFAULTS: dict[str, Any] = {
    "description": "",
    "command": "echo hello",
    "args_text": "",
    "tags_text": "",
    "schedule": "",
    "time_zone": "UTC",
    "enabled": "on",
    "misfire_policy": "run_once",
    "target_worker": "",
    "target_labels_text": "",
    "routing": "first",
    "run_as": "",
    "workdir": "",
    "env_text": "",
    "concurrency": "skip",
    "max_parallel": "1",
    "timeout": "0",
    "heartbeat_timeout": "0",
    "retries": "0",
    "retry_backoff": "10",
    "retry_backoff_kind": "fixed",
    "alert_level": "error",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class OctopusUp:
    """`octopus up` (or, in OctopusServer, `octopus server`) as a subprocess on its own data
    directory and port."""

    command = "up"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        env: dict | None = None,
        database: InstanceDatabase | None = None,
    ) -> None:
        self.data_dir = data_dir
        # A restart or another replica passes the database of the first instance.
        self.database = database or InstanceDatabase(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / f"octopus-{self.command}.log"
        self.env = {**os.environ, "OCTOPUS_ADMIN_PASSWORD": ADMIN_PASSWORD, **(env or {})}
        for name in ("OCTOPUS_DATA_DIR", "OCTOPUS_SECRET_KEY", "DJANGO_SETTINGS_MODULE"):
            self.env.pop(name, None)
        self.env["OCTOPUS_DATABASE_URL"] = self.database.url
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> OctopusUp:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        argv = [sys.executable, "-m", "octopus.cli", self.command]
        argv += ["--data-dir", str(self.data_dir), "--port", str(self.port)]
        offset = len(self.log())
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        wait_until(self._healthy, timeout, what=f"octopus on {self.url} ({self.log_path})")
        if self.command == "up":
            wait_until(lambda: "connected" in self.log()[offset:], timeout, what="local worker")
        return self

    def _healthy(self) -> bool:
        if self.proc and self.proc.poll() is not None:
            raise AssertionError(f"octopus {self.command} exited early:\n{self.log()}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 40) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9: no cleanup of any kind."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self._log.close()

    def cli(self, *args: str) -> str:
        """Run an `octopus` admin command against this instance's database."""
        argv = [sys.executable, "-m", "octopus.cli", *args, "--data-dir", str(self.data_dir)]
        out = subprocess.run(argv, env=self.env, capture_output=True, text=True)
        if out.returncode != 0:
            raise AssertionError(f"octopus {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def worker_token(self, name: str) -> str:
        """Create worker NAME (or renew its token) with the real `octopus worker-token`."""
        return self.cli("worker-token", name).strip().splitlines()[-1]

    def start_worker(self, name: str, labels: str = "", **options: Any) -> Worker:
        if not options.get("enroll"):
            options.setdefault("token", self.worker_token(name))
        return Worker(self, name, labels, **options).start()

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return self.database.query(sql, *params)

    def execute(self, sql: str, *params: Any) -> None:
        self.database.execute(sql, *params)

    def log_lines(self, run_id: int) -> list[dict[str, Any]]:
        """The run's stored output lines in order: seq, stream, level, text."""
        from octopus.logs.chunks import STREAM_LEVEL, unpack

        rows = self.query(
            "SELECT first_seq, kinds, text FROM logs_logchunk WHERE run_id = ? ORDER BY last_seq",
            run_id,
        )
        lines = []
        for row in rows:
            for seq, kind, text in unpack(row["first_seq"], row["kinds"], row["text"]):
                stream, level = STREAM_LEVEL[kind]
                lines.append({"seq": seq, "stream": stream, "level": level, "text": text})
        return lines


class OctopusServer(OctopusUp):
    """`octopus server`: no local worker; workers are started separately."""

    command = "server"


class Worker:
    """A real `octopus worker` agent process connected to a server."""

    def __init__(
        self,
        server: OctopusUp,
        name: str,
        labels: str = "",
        token: str = "",
        enroll: str = "",
        extra_args: tuple[str, ...] = (),
        prefix: tuple[str, ...] = (),
        data_dir: Path | None = None,
        servers: str = "",
    ) -> None:
        self.server = server
        self.servers = servers or server.url  # several replicas: comma separated
        self.name = name
        self.labels = labels
        self.token = token
        self.enroll = enroll
        self.extra_args = extra_args
        self.prefix = prefix  # e.g. ("runuser", "-u", "nobody", "--")
        self.data_dir = data_dir or server.data_dir / f"agent-{name}"
        self.log_path = server.data_dir / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: bool = True) -> Worker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        argv = [*self.prefix, sys.executable, "-m", "octopus_agent"]
        argv += ["--server", self.servers, "--name", self.name, "--labels", self.labels]
        argv += ["--no-detect-runtimes", "--heartbeat-interval", "1"]
        argv += ["--data-dir", str(self.data_dir), *self.extra_args]
        if self.enroll:
            argv += ["--enroll", self.enroll]
        env = dict(self.server.env)
        if self.token:
            env["OCTOPUS_AGENT_TOKEN"] = self.token
        self.offset = len(self.log())
        self.proc = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        if wait:
            wait_until(
                lambda: "connected to" in self.log()[self.offset :],
                30,
                what=f"worker {self.name} ({self.log_path})",
            )
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send a signal to the agent process only (not to the runs it started)."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        if sig == signal.SIGKILL:
            self.proc.wait()
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class Browserless:
    """A logged-in user of the web UI over plain HTTP (forms, CSRF, redirects)."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, follow_redirects=True, timeout=10)

    def csrf(self, path: str) -> str:
        page = self.client.get(path)
        page.raise_for_status()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx.Response:
        token = self.csrf("/login/")
        return self.client.post(
            "/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        )

    def create_job_id(self, **fields: Any) -> int:
        """Create a job through the form; return its id or fail with the form's errors."""
        response = self.create_job(**fields)
        match = re.search(r"/jobs/(\d+)/$", str(response.url))
        if not match:
            errors = re.findall(r'<div class="error" role="alert">([^<]+)<', response.text)
            raise AssertionError(f"job not created: {errors or response.text[:1000]}")
        return int(match.group(1))

    def create_job(self, **fields: Any) -> httpx.Response:
        token = self.csrf("/jobs/new/")
        data = {**JOB_DEFAULTS, **fields, "csrfmiddlewaretoken": token}
        data = {k: v for k, v in data.items() if v is not None}
        return self.client.post("/jobs/new/", data=data)

    def run_now(self, job_id: int, args: str = "") -> httpx.Response:
        token = self.csrf(f"/jobs/{job_id}/")
        return self.client.post(
            f"/jobs/{job_id}/run/", data={"args": args, "csrfmiddlewaretoken": token}
        )
