"""The agent's settings: each has a default, a command-line flag and an OCTOPUS_AGENT_* variable."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path

HEARTBEAT_INTERVAL = 5.0  # seconds
DRAIN_TIMEOUT = 60.0  # seconds a draining agent waits for its runs before killing them
RECONNECT_MAX_DELAY = 5.0  # seconds between connection attempts, at most
LOG_FLUSH_INTERVAL = 0.02  # seconds: output is batched this long before it is spooled
MAX_LINE_BYTES = 64 * 1024
SPOOL_MAX_BYTES = 1024 * 1024 * 1024
# Output waiting for a connected server beyond this slows the jobs' output down to the
# server's pace (octopus_agent/window.py); about 8,000 typical lines. Measured with
# bench/logs_throughput.py: 512 KiB kept the throughput of 1 MiB with less latency.
OUTPUT_WINDOW_BYTES = 512 * 1024


@dataclass
class Config:
    # http(s)://host:port of an Octopus server, or several replicas separated by commas:
    # the agent moves to the next one when the one it talks to is unreachable.
    server: str
    token: str
    name: str = field(default_factory=socket.gethostname)
    labels: list[str] = field(default_factory=list)
    data_dir: Path = Path("var/agent")
    heartbeat_interval: float = HEARTBEAT_INTERVAL
    drain_timeout: float = DRAIN_TIMEOUT
    max_line_bytes: int = MAX_LINE_BYTES
    spool_max_bytes: int = SPOOL_MAX_BYTES
    output_window_bytes: int = OUTPUT_WINDOW_BYTES
    detect_runtimes: bool = True
    # Variables of the agent's own environment its jobs also get, beyond the allowlist
    # (octopus_agent/executor.py: ALLOWED_ENV).
    pass_env: list[str] = field(default_factory=list)

    @property
    def servers(self) -> list[str]:
        return [url.strip().rstrip("/") for url in self.server.split(",") if url.strip()]

    @property
    def websocket_urls(self) -> list[str]:
        from octopus_agent.protocol import AGENT_PATH

        urls = []
        for base in self.servers:
            if base.startswith("https://"):
                base = "wss://" + base.removeprefix("https://")
            elif base.startswith("http://"):
                base = "ws://" + base.removeprefix("http://")
            urls.append(base + AGENT_PATH)
        return urls
