"""The worker protocol: JSON messages over one WebSocket between an agent and a server.

This module is the only part of the agent the server imports; it holds names and shapes,
no behaviour. Every message is a JSON object with a "type".

Agent → server. Messages marked *spooled* carry an "id" from the agent's on-disk outbox
(increasing, never reused); the server answers with ACK once it has committed them, and
the agent deletes them from the outbox. After a reconnect the agent sends again every
message not yet acknowledged, in order, so the server must apply each one idempotently:
log lines are unique by (run, seq) and run state changes are compare-and-set.

  hello        {name, hostname, labels, version, protocol, running: [run_id],
                finishing: [run_id]}
               running: runs this agent is running (accepted and not yet ended);
               finishing: runs that ended here whose run_finished is still in the outbox
               (not yet acknowledged). A run the server has as running on this worker that
               is in neither list is not running anywhere: the server ends it as lost.
  heartbeat    {load: {cpu, memory, load1, running}, running: [run_id], finishing: [run_id],
                beat}
               beat: increasing per connection; the server answers with `lease` (protocol 3)
  run_started  *spooled* {run_id, pid, started_at}
  log          *spooled* {run_id, blocks: [[first_seq, ts, stream, text], ...]}
               a block is consecutive lines read together, their texts joined by "\n"
               (a line never holds one); protocol 1 sent {run_id, lines: [[seq, ts,
               stream, text], ...]}, which servers still take
  run_finished *spooled* {run_id, outcome, exit_code, signal, reason, finished_at, last_seq,
                lines_dropped, saw_end_marker, cursor}
               the last three (protocol 3) are the agent's own reading of the output, so a
               run's outcome survives output the agent had to drop (full disk, full outbox)

Server → agent.

  welcome      {worker_id, heartbeat_interval, protocol, lease}
               lease: seconds (protocol 3; 0 or absent = no fencing). The hello counts as
               beat 0: the agent holds a lease until (when it sent the hello) + lease.
  lease        {beat, seconds}  the heartbeat numbered `beat` was recorded: the agent holds
               its lease until (when it sent that heartbeat) + seconds. Measured from the
               send, never the receipt, so the agent's lease always ends before the server's
               view of it (the server counts from when it received that heartbeat).
  ack          {upto}          every spooled message with id <= upto is stored
  run          {run: RunSpec}  start this run (sent again after a reconnect until started)
  cancel       {run_id, grace} stop this run: SIGTERM to its process group, SIGKILL later
  refuse       {reason}        the server refuses this connection (bad token, revoked)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PROTOCOL_VERSION = 3
BLOCKS_SINCE = 2  # the first protocol whose servers take log blocks
LEASES_SINCE = 3  # the first protocol whose servers grant leases (and agents fence)
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
LEASE = "lease"

# How a run's process ended, as the agent saw it. The server turns this into a run state
# with the success rule (which also needs what only it knows, such as the end marker).
OUTCOME_EXITED = "exited"  # exit_code set (signal set instead when killed by a signal)
OUTCOME_TIMED_OUT = "timed_out"  # the agent killed the process group at the timeout
OUTCOME_HUNG = "hung"  # no output and no heartbeat line for the heartbeat timeout
OUTCOME_CANCELLED = "cancelled"  # stopped on request
OUTCOME_START_FAILED = "start_failed"  # could not start: command, account or directory
# Stopped by the agent because its lease lapsed (no server heard from for the lease): the
# server gives the run to another worker only after the lease and a grace have passed.
OUTCOME_FENCED = "fenced"
# The agent died while the run ran; its processes were ended with it (the per-run
# supervisor), and the restarted agent reports the run.
OUTCOME_ORPHANED = "orphaned"

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
    # Stop the run when the worker's lease lapses: the job forbids overlapping runs
    # (its concurrency is not `allow`), so it must not outlive the lease.
    fence: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
