"""Dispatch benchmark: run-now → process-started latency, and trivial runs per second.

Starts a real `octopus server` (SQLite, temporary data directory) and 4 real worker agents,
then:
1. latency: N sequential "Run now" requests through the web UI (a logged-in POST, as the
   button sends); for each, the time from sending the request to the moment the worker
   started the process (the run's started_at, taken by the agent on this same machine);
2. throughput: M trivial runs (`true`) queued at once (inserted in one transaction, so the
   queueing side is not what is measured), and the rate at which they complete.

Usage: .venv/bin/python bench/dispatch.py [--runs 200] [--burst 2000] [--workers 4]
Goals (issue 3): p95 latency ≤ 30 ms; ≥ 300 runs/s with 4 workers.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.databases import drop_all_created
from tests.e2e.octopus_process import Browserless, OctopusServer, wait_until


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


FINISHED_RUN = (
    "SELECT created, dispatched_at, started_at FROM runs_run WHERE id = ? AND state = 'succeeded'"
)


def finished_run_reader(server: OctopusServer):
    """run id → its times once it succeeded, else None. On SQLite through one connection
    kept open (the bench shares the CPUs with what it measures)."""
    if server.database.vendor == "sqlite":
        connection = sqlite3.connect(server.database.sqlite_path, isolation_level=None)
        connection.row_factory = sqlite3.Row
        return lambda run_id: connection.execute(FINISHED_RUN, (run_id,)).fetchone()
    connection = server.database._connect()  # PostgreSQL or MariaDB: also kept open
    if server.database.vendor == "postgresql":
        connection.autocommit = True  # each look sees the latest commit (MariaDB's is on)

    def read(run_id: int):
        cursor = connection.cursor()
        cursor.execute(FINISHED_RUN.replace("?", "%s"), (run_id,))
        return cursor.fetchone()

    return read


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200, help="sequential run-now requests")
    parser.add_argument("--burst", type=int, default=2000, help="runs queued at once")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="octopus-bench-")) / "data"
    server = OctopusServer(data, env={"OCTOPUS_LOG_LEVEL": "WARNING"}).start()
    workers = [server.start_worker(f"bench-{i}", "bench") for i in range(args.workers)]
    try:
        ui = Browserless(server.url)
        ui.login()
        job_id = ui.create_job_id(
            name="trivial",
            command="true",
            target_labels_text="bench",
            routing="round_robin",
            concurrency="allow",
            max_parallel="1000",
        )
        token = ui.csrf(f"/jobs/{job_id}/")
        ui.client.follow_redirects = False
        poll = finished_run_reader(server)
        latencies = []
        stages: dict[str, list[float]] = {
            "request → run queued": [],
            "queued → handed to a worker": [],
            "handed → process started": [],
        }
        for _ in range(args.runs):
            sent = datetime.now(UTC)
            response = ui.client.post(
                f"/jobs/{job_id}/run/", data={"args": "", "csrfmiddlewaretoken": token}
            )
            run_id = int(response.headers["location"].rstrip("/").rsplit("/", 1)[1])
            # One connection, a look every 5 ms: the bench shares the 2 CPUs with what it
            # measures, and a new connection every 2 ms cost them a measurable share.
            row = wait_until(lambda r=run_id: poll(r), 30, 0.005, "the run")
            created, dispatched, started = (
                (value if isinstance(value, datetime) else datetime.fromisoformat(value)).replace(
                    tzinfo=UTC
                )
                for value in (row["created"], row["dispatched_at"], row["started_at"])
            )
            latencies.append((started - sent).total_seconds() * 1000)
            for name, (a, b) in zip(
                stages, [(sent, created), (created, dispatched), (dispatched, started)], strict=True
            ):
                stages[name].append((b - a).total_seconds() * 1000)
        print(f"run-now → process started, {args.runs} sequential runs, {args.workers} workers:")
        print(
            f"  median {statistics.median(latencies):.1f} ms   "
            f"p95 {percentile(latencies, 0.95):.1f} ms   max {max(latencies):.1f} ms"
        )
        for name, values in stages.items():
            print(
                f"    {name:<28} median {statistics.median(values):5.1f} ms   "
                f"p95 {percentile(values, 0.95):5.1f} ms"
            )

        now = datetime.now(UTC).isoformat(sep=" ")
        if server.database.vendor == "mysql":
            now = now.removesuffix("+00:00")  # MariaDB takes naive times (UTC, as Django)
        base = server.query("SELECT COALESCE(MAX(id), 0) AS n FROM runs_run")[0]["n"]
        # `trigger` is a reserved word in MariaDB and MySQL.
        trigger = "`trigger`" if server.database.vendor == "mysql" else "trigger"
        server.database.executemany(
            f"INSERT INTO runs_run (job_id, {trigger}, fanout_key, attempt, args, command, "
            "state, reason, note, created, log_lines, saw_end_marker, no_worker_alerted) "
            "VALUES (?, 'api', '', 1, '[]', '', 'queued', '', '', ?, 0, ?, ?)",
            [(job_id, now, False, False)] * args.burst,
        )
        procs = {"server": psutil.Process(server.proc.pid)}
        procs.update({w.name: psutil.Process(w.proc.pid) for w in workers})
        cpu_before = {name: sum(p.cpu_times()[:2]) for name, p in procs.items()}
        started = time.monotonic()
        wait_until(
            lambda: (
                server.query(
                    "SELECT COUNT(*) AS n FROM runs_run WHERE id > ? AND state NOT IN "
                    "('queued', 'dispatched', 'running')",
                    base,
                )[0]["n"]
                >= args.burst
            ),
            600,
            0.05,
            "the burst to finish",
        )
        took = time.monotonic() - started
        failed = server.query(
            "SELECT COUNT(*) AS n FROM runs_run WHERE id > ? AND state != 'succeeded'", base
        )[0]["n"]
        print(
            f"throughput: {args.burst} trivial runs on {args.workers} workers in {took:.1f} s"
            f" = {args.burst / took:.0f} runs/s ({failed} not succeeded)"
        )
        cpu = {name: sum(p.cpu_times()[:2]) - cpu_before[name] for name, p in procs.items()}
        print(
            "  CPU seconds during the burst: "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
        )
    finally:
        for worker in workers:
            worker.stop()
        server.stop()
        drop_all_created()  # the PostgreSQL or MariaDB database made for this run


if __name__ == "__main__":
    main()
