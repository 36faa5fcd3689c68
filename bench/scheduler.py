"""Scheduler benchmark: firing lateness with many jobs due in the same second.

Seeds N enabled jobs firing every minute (default 10,000), starts a real `octopus server`
running only the scheduler loop (no dispatcher, no workers: what is measured is the time
from a firing's second to its run being queued and due), lets it fire for a few minutes,
then prints the lateness of every firing (p50, p95, max, from the scheduler's log of each
commit) and the CPU the scheduler thread used (read from /proc for that thread).

Firings are queued a few seconds ahead of their second as runs not handed out before it
(runs/scheduler.py): a firing is late by however much its commit came after its second,
and the bench also prints how far ahead each batch committed.

Then, on a fresh server with every loop and two real workers, 20 jobs firing every second
for 30 s: each firing's second → handed to a worker → its process started (p50, p95, max).

Usage: .venv/bin/python bench/scheduler.py [--jobs 10000] [--minutes 2] [--probe-seconds 30]
       OCTOPUS_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test ... (a fresh database
       on that server is used and dropped)
Goals (issue 9): p95 lateness ≤ 50 ms; scheduler < 0.5 core.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.databases import InstanceDatabase
from tests.e2e.octopus_process import Browserless, OctopusServer, wait_until


def thread_cpu_seconds(pid: int, tid: int) -> float:
    fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seed(data: Path, database: InstanceDatabase, jobs: int) -> datetime:
    """Create the jobs with the real models, in this process, on the server's database."""
    os.environ["OCTOPUS_DATA_DIR"] = str(data)
    os.environ["OCTOPUS_DATABASE_URL"] = database.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "octopus.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from octopus.jobs.models import Job

    call_command("migrate", verbosity=0)
    first = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (first - datetime.now(UTC)).total_seconds() < 20:
        first += timedelta(minutes=1)  # leave time to start the server
    Job.objects.bulk_create(
        [
            Job(name=f"bench-{i:05d}", command="true", schedule="* * * * *", next_fire_at=first)
            for i in range(jobs)
        ],
        batch_size=1000,
    )
    from django.db import connections

    connections.close_all()
    return first


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--minutes", type=int, default=2)
    parser.add_argument(
        "--probe-seconds",
        type=int,
        default=30,
        help="then, on a fresh server with workers: seconds of every-second firings timed "
        "to their process start (0: skip)",
    )
    args = parser.parse_args()

    server_url = os.environ.get("OCTOPUS_DATABASE_URL")  # seed() points it at its database
    data = Path(tempfile.mkdtemp(prefix="octopus-sched-bench-")) / "data"
    data.mkdir(parents=True)
    database = InstanceDatabase(data)
    first = seed(data, database, args.jobs)
    env = {"OCTOPUS_LOOPS": "scheduler", "OCTOPUS_LOG_LEVEL": "INFO"}
    server = OctopusServer(data, env=env, database=database).start()
    try:
        tid = int(
            wait_until(
                lambda: re.search(r"scheduler loop running in thread (\d+)", server.log()),
                30,
                what="the scheduler thread",
            ).group(1)
        )
        pid = server.proc.pid
        cpu_start = thread_cpu_seconds(pid, tid)
        wall_start = time.monotonic()
        last = first + timedelta(minutes=args.minutes - 1)
        time.sleep(max(0.0, (last - datetime.now(UTC)).total_seconds() + 10))
        cpu = thread_cpu_seconds(pid, tid) - cpu_start
        wall = time.monotonic() - wall_start
        rows = server.query(
            "SELECT scheduled_for, created FROM runs_run WHERE scheduled_for <= ?",
            last.replace(tzinfo=None).isoformat(sep=" ")
            if database.vendor != "postgresql"
            else last,
        )
    finally:
        server.stop()
        log_text = server.log()
        database.drop()

    def moment(value: str) -> datetime:
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    stamped = [
        (moment(r["created"]) - moment(r["scheduled_for"])).total_seconds() * 1000 for r in rows
    ]
    # A run is queued when the transaction that inserts it commits: other replicas and the
    # dispatcher see it from then on, and hand it out from its second on. Firings are
    # queued ahead of their second; the scheduler logs, for each, when its transaction
    # committed relative to the second. A firing is late by however much that commit came
    # after its second (0 when before). Firings settled at the second (none here unless
    # queueing ahead fell behind) are logged with how late their tick started and its work.
    ahead = [
        (int(m.group(1)), float(m.group(2)), float(m.group(3)))
        for m in re.finditer(
            r"queued (\d+) firing\(s\) ahead in ([\d.]+) ms \(due [^,]+, committed "
            r"(-?[\d.]+) ms before it\)",
            log_text,
        )
    ]
    ticks = [
        (int(m.group(1)), float(m.group(3)), float(m.group(2)))
        for m in re.finditer(
            r"queued (\d+) on-time firing\(s\) in ([\d.]+) ms \(due [^,]+, ([\d.]+) ms late\)",
            log_text,
        )
    ]
    late = [max(0.0, -before) for count, _, before in ahead for _ in range(count)]
    late += [start + took for count, start, took in ticks for _ in range(count)]
    expected = args.jobs * args.minutes
    print(
        f"{args.jobs} jobs firing every minute, {args.minutes} minute(s), "
        f"{database.vendor}: {len(rows)} of {expected} firings queued"
    )
    if late:
        print(
            f"  lateness (scheduled second → run queued and due): p50 "
            f"{statistics.median(late):.0f} ms   p95 {percentile(late, 0.95):.0f} ms"
            f"   max {max(late):.0f} ms"
        )
    if ahead:
        print(
            "  queued ahead: "
            + ", ".join(
                f"{count} runs in {took:.0f} ms, committed {before:.0f} ms before their second"
                for count, took, before in ahead
            )
        )
    if ticks:
        print(
            "  queued at their second: "
            + ", ".join(
                f"{count} runs committed {start + took:.0f} ms late "
                f"({start:.0f} ms to start + {took:.0f} ms of work)"
                for count, start, took in ticks
            )
        )
    print(
        f"  run rows stamped (created - scheduled): p50 {statistics.median(stamped):.0f} ms"
        f"   p95 {percentile(stamped, 0.95):.0f} ms   (before the commit; negative: ahead)"
    )
    print(
        f"  scheduler thread CPU: {cpu:.2f} s over {wall:.0f} s = {cpu / wall:.3f} core"
        f" on average ({cpu / args.minutes:.2f} s per minute of firings)"
    )

    if args.probe_seconds:
        os.environ.pop("OCTOPUS_DATABASE_URL")
        if server_url:
            os.environ["OCTOPUS_DATABASE_URL"] = server_url
        firing_to_start(args.probe_seconds)


def firing_to_start(seconds: int, jobs: int = 20, workers: int = 2) -> None:
    """The whole path of a firing, on a server with every loop and real workers: its
    second → handed to a worker (the dispatcher wakes at the second for runs queued ahead)
    → the job's process started."""
    data = Path(tempfile.mkdtemp(prefix="octopus-sched-probe-")) / "data"
    server = OctopusServer(data, env={"OCTOPUS_LOG_LEVEL": "WARNING"}).start()
    agents = [server.start_worker(f"probe-{i}", "probe") for i in range(workers)]
    try:
        ui = Browserless(server.url)
        ui.login()
        job_ids = [
            ui.create_job_id(
                name=f"every-second-{n:02d}",
                command="true",
                schedule="* * * * * *",
                concurrency="allow",
                target_labels_text="probe",
                routing="round_robin",
            )
            for n in range(jobs)
        ]
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=5)
        end = start + timedelta(seconds=seconds)
        time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds() + 3))
        for job_id in job_ids:
            server.execute("UPDATE jobs_job SET enabled = ? WHERE id = ?", False, job_id)
        rows = server.query(
            "SELECT scheduled_for, dispatched_at, started_at FROM runs_run "
            "WHERE started_at IS NOT NULL"
        )
    finally:
        for agent in agents:
            agent.stop()
        server.stop()
        server.database.drop()

    def moment(value) -> datetime:
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    timed = [
        (moment(r["scheduled_for"]), moment(r["dispatched_at"]), moment(r["started_at"]))
        for r in rows
    ]
    timed = [t for t in timed if start <= t[0] < end]
    handed = [(d - s).total_seconds() * 1000 for s, d, _ in timed]
    started = [(p - s).total_seconds() * 1000 for s, _, p in timed]
    print(
        f"{jobs} jobs firing every second for {seconds} s, {workers} workers, all loops: "
        f"{len(timed)} of {jobs * seconds} firings started"
    )
    for name, values in (("handed to a worker", handed), ("process started", started)):
        if values:
            print(
                f"  second → {name:<19} p50 {statistics.median(values):5.1f} ms"
                f"   p95 {percentile(values, 0.95):5.1f} ms   max {max(values):5.1f} ms"
            )


if __name__ == "__main__":
    main()
