"""Run a server process: the ASGI app under uvicorn plus the leader loops, and for
`octopus up` one local worker agent as a child process.

Signals: the first SIGINT/SIGTERM stops cleanly (the local worker drains first, so its
last results reach the server); a second one stops at once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn

log = logging.getLogger("octopus")


class ServerProcess:
    def __init__(self, host: str, port: int) -> None:
        from octopus.cluster.leader import holder_id
        from octopus.loops import Loops

        self.host = host
        self.port = port
        self.loops = Loops(holder_id(port))
        config = uvicorn.Config(
            "octopus.asgi:application",
            host=host,
            port=port,
            lifespan="off",
            log_level="warning",
            ws_max_size=64 * 1024 * 1024,
            # Compression cost more CPU than it saved on the worker link (measured).
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=5,
        )
        self.uvicorn = uvicorn.Server(config)
        # uvicorn only installs signal handlers in the main thread; we keep it in its own.
        self.thread = threading.Thread(target=self.uvicorn.run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.uvicorn.started:
            if not self.thread.is_alive():
                raise SystemExit(f"the web server could not start on {self.url}")
            if time.monotonic() > deadline:
                raise SystemExit("the web server did not start within 30 s")
            time.sleep(0.05)
        from octopus.cluster import notify

        self.listener = notify.Listener.start_if_postgresql(self.loops.stop_event)
        self.loops.start()

    def stop(self) -> None:
        self.loops.stop()
        self.uvicorn.should_exit = True
        self.thread.join(timeout=15)


class LocalWorker:
    """The real agent, as a child process talking to the server over the worker protocol."""

    def __init__(
        self, server_url: str, token: str, name: str, data_dir: Path, umask: int = -1
    ) -> None:
        self.argv = [
            sys.executable,
            "-m",
            "octopus_agent",
            "--server",
            server_url,
            "--name",
            name,
            "--data-dir",
            str(data_dir),
            "--drain-timeout",
            "10",
        ]
        self.env = {**os.environ, "OCTOPUS_AGENT_TOKEN": token}
        # The server's own umask keeps its files private; the agent keeps its files private
        # itself, and its jobs must get the umask `octopus up` was started with (-1: as is).
        self.umask = umask
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        # Own session: Ctrl-C reaches only `octopus up`, which then drains the worker itself.
        self.proc = subprocess.Popen(
            self.argv, env=self.env, start_new_session=True, umask=self.umask
        )

    def stop(self, timeout: float = 20) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)  # the second one kills its runs
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_for_signal() -> None:
    stop = threading.Event()
    count = 0

    def handle(signum: int, frame: object) -> None:
        nonlocal count
        count += 1
        if count > 1:
            log.warning("second signal: stopping now")
            os._exit(1)
        print(f"\n{signal.Signals(signum).name} received: stopping (again to force)…", flush=True)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
    while not stop.wait(0.5):
        pass

