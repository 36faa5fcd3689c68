"""The worker protocol: JSON messages over one WebSocket between an agent and a server.

This module is the only part of the agent the server imports; it holds names and shapes,
no behaviour. Every message is a JSON object with a "type".

Agent → server. Messages marked *spooled* carry an "id" from the agent's on-disk outbox
(increasing, never reused); the server answers with ACK once it has committed them, and
the agent deletes them from the outbox. After a reconnect the agent sends again every
message not yet acknowledged, in order, so the server must apply each one idempotently:
log lines are unique by (run, seq) and run state changes are compare-and-set.

  hello        {name, hostname, labels, version, protocol, running: [run_id]}
  heartbeat    {load: {cpu, memory, load1, running}, running: [run_id]}
  run_started  *spooled* {run_id, pid, started_at}
  log          *spooled* {run_id, blocks: [[first_seq, ts, stream, text], ...]}
               a block is consecutive lines read together, their texts joined by "\n"
               (a line never holds one); protocol 1 sent {run_id, lines: [[seq, ts,
               stream, text], ...]}, which servers still take
  run_finished *spooled* {run_id, outcome, exit_code, signal, reason, finished_at, last_seq}

Server → agent.

  welcome      {worker_id, heartbeat_interval, protocol}
  ack          {upto}          every spooled message with id <= upto is stored
  run          {run: RunSpec}  start this run (sent again after a reconnect until started)
  cancel       {run_id, grace} stop this run: SIGTERM to its process group, SIGKILL later
  refuse       {reason}        the server refuses this connection (bad token, revoked)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOL_VERSION = 2
BLOCKS_SINCE = 2  # the first protocol whose servers take log blocks
AGENT_PATH = "/agent/v1/ws"

# Agent → server.
HELLO = "hello"
HEARTBEAT = "heartbeat"
RUN_STARTED = "run_started"
LOG = "log"
RUN_FINISHED = "run_finished"
SPOOLED_TYPES = frozenset({RUN_STARTED, LOG, RUN_FINISHED})

# Server → agent.
WELCOME = "welcome"
ACK = "ack"
RUN = "run"
CANCEL = "cancel"
REFUSE = "refuse"

# How a run's process ended, as the agent saw it. The server turns this into a run state
# with the success rule (which also needs what only it knows, such as the end marker).
OUTCOME_EXITED = "exited"  # exit_code set (signal set instead when killed by a signal)
OUTCOME_TIMED_OUT = "timed_out"  # the agent killed the process group at the timeout
OUTCOME_HUNG = "hung"  # no output and no heartbeat line for the heartbeat timeout
OUTCOME_CANCELLED = "cancelled"  # stopped on request
OUTCOME_START_FAILED = "start_failed"  # could not start: command, account or directory

STDOUT = "stdout"
STDERR = "stderr"
# Status line the agent writes into a run's own log (its reason for killing, etc).
SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class RunSpec:
    """Everything a worker needs to start one run; built by the server."""

    run_id: int
    job_name: str
    command: str  # shell text, `{cursor}` and `{args}` already substituted and quoted
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = ""
    run_as: str = ""
    timeout: float = 0.0  # seconds, 0 = none
    heartbeat_timeout: float = 0.0  # seconds, 0 = off

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
