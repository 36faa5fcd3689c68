"""Log throughput: one run printing many lines, through a real `octopus up`.

    .venv/bin/python bench/logs_throughput.py [--lines 1000000] [--rate 0] [--paced 20000]

Starts `octopus up` on a temporary data directory, creates a job whose command prints
numbered lines, each carrying the time it was printed, and follows the job over the live
log WebSocket as a logged-in browser would. Prints:
- lines stored per second (first line printed → last line stored in the database),
- p50/p95/p99 latency from print to the live viewer (the viewer compares the time in each
  line with the time it arrives; same machine, same clock),
- CPU time per line of the server, the worker agent and the viewer,
- the server's peak RSS (and the local worker agent's).
Phase 1 prints as fast as it can (`--rate 0`): throughput, and the latency of a backlog
when the job prints faster than the pipeline stores. Phase 2 (unless `--paced 0`) prints at
a steady rate the pipeline keeps up with: the latency of a live tail. Not part of the test
suite (pytest collects tests/ only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.octopus_process import Browserless, OctopusUp  # noqa: E402

PRINTER = r"""
import sys, time
n, rate = int(sys.argv[1]), float(sys.argv[2])
write, flush = sys.stdout.write, sys.stdout.flush
chunk = 500
start = time.time()
for first in range(1, n + 1, chunk):
    if rate:
        delay = start + (first - 1) / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    t = "%.6f" % time.time()
    write("".join(["%d %s\n" % (i, t) for i in range(first, min(n, first + chunk - 1) + 1)]))
    flush()
"""


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


SAMPLE = 10  # latency of every 10th line


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.server = psutil.Process(pid)
        self.peak_server = 0
        self.peak_agent = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                self.peak_server = max(self.peak_server, self.server.memory_info().rss)
                for child in self.server.children():
                    if "octopus_agent" in " ".join(child.cmdline()):
                        self.peak_agent = max(self.peak_agent, child.memory_info().rss)
            except psutil.Error:
                pass


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1] if len(values) > 1 else values[0]


async def follow(ws_url: str, cookie: str, lines: int, started: asyncio.Event) -> dict:
    """Read the job's run live; check every line arrives once and in order; time every
    SAMPLE-th line (the viewer shares the machine: it must cost little per line)."""
    latencies: list[float] = []
    expected = 1
    first_print = last_arrival = 0.0
    gaps = 0
    # Compression on, as browsers ask for it.
    async with connect(ws_url, additional_headers={"Cookie": cookie}, max_size=None) as ws:
        started.set()
        async for raw in ws:
            now = time.time()
            message = json.loads(raw)
            kind = message["type"]
            if kind == "gap":
                gaps += 1
                expected = message["to"] + 1
            elif kind == "lines":
                batch = message["lines"]
                got = [line[0] for line in batch]
                if got != list(range(expected, expected + len(batch))):
                    raise SystemExit(f"lines {got[0]}..{got[-1]} arrived, {expected} expected")
                expected += len(batch)
                for line in batch[::SAMPLE]:
                    number, printed = line[4].split(" ", 1)
                    if int(number) != line[0]:  # the printer numbers its lines from 1
                        raise SystemExit(f"line {line[0]} arrived as {line[4]!r}")
                    latencies.append(now - float(printed))
                if not first_print:
                    first_print = float(batch[0][4].split(" ", 1)[1])
                last_arrival = now
                if expected > lines:
                    break
    return {
        "latencies": latencies,
        "first_print": first_print,
        "last_arrival": last_arrival,
        "gaps": gaps,
    }


def stored_at(up: OctopusUp, run_id: int, lines: int, timeout: float) -> float:
    """When the run's last line was in the database (polled every 20 ms)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = up.query("SELECT log_lines FROM runs_run WHERE id = ?", run_id)
        if rows and rows[0]["log_lines"] >= lines:
            return time.time()
        time.sleep(0.02)
    raise SystemExit(f"run {run_id} did not store {lines} lines within {timeout} s")


def phase(up: OctopusUp, ui: Browserless, name: str, lines: int, rate: float) -> dict:
    script = up.data_dir / "printer.py"
    script.write_text(PRINTER)
    created = ui.create_job(name=name, command=f"python3 {script} {lines} {rate:g}")
    job_id = int(re.search(r"/jobs/(\d+)/", str(created.url)).group(1))
    cookie = "; ".join(f"{k}={v}" for k, v in ui.client.cookies.items())
    ws_url = up.url.replace("http://", "ws://") + f"/ws/jobs/{job_id}/follow"

    async def run() -> tuple[dict, float, int]:
        started = asyncio.Event()
        viewer = asyncio.create_task(follow(ws_url, cookie, lines, started))
        await started.wait()
        response = await asyncio.to_thread(ui.run_now, job_id)
        run_id = int(re.search(r"/runs/(\d+)/", str(response.url)).group(1))
        stored = await asyncio.to_thread(stored_at, up, run_id, lines, 600)
        return await asyncio.wait_for(viewer, 600), stored, run_id

    server = psutil.Process(up.proc.pid)
    agent = next(c for c in server.children() if "octopus_agent" in " ".join(c.cmdline()))
    me = psutil.Process()
    before = [cpu_seconds(p) for p in (server, agent, me)]
    seen, stored, run_id = asyncio.run(run())
    cpu = [cpu_seconds(p) - b for p, b in zip((server, agent, me), before, strict=True)]
    state = up.query("SELECT state FROM runs_run WHERE id = ?", run_id)[0]["state"]
    lat = seen["latencies"]
    elapsed = stored - seen["first_print"]
    return {
        "name": name,
        "lines": lines,
        "rate": rate,
        "state": state,
        "stored_per_s": lines / elapsed,
        "viewer_per_s": lines / (seen["last_arrival"] - seen["first_print"]),
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": max(lat),
        "gaps": seen["gaps"],
        "cpu": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=0, help="lines/s in phase 1; 0 = flat out")
    parser.add_argument("--paced", type=float, default=20_000, help="lines/s in phase 2; 0 = skip")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="octopus-bench-") as tmp:
        up = OctopusUp(Path(tmp) / "data").start()
        print(f"octopus up: pid {up.proc.pid}, {up.url}", file=sys.stderr, flush=True)
        rss = PeakRss(up.proc.pid)
        rss.start()
        try:
            ui = Browserless(up.url)
            ui.login()
            results = [phase(up, ui, "phase-1", args.lines, args.rate)]
            if args.paced:
                results.append(phase(up, ui, "phase-2", args.lines, args.paced))
        finally:
            rss.stop.set()
            up.stop()
    print(
        f"\nlogs throughput: {args.lines:,} lines per run, `octopus up` on SQLite, "
        f"{psutil.cpu_count()} CPUs (shared machine: figures vary run to run)"
    )
    for r in results:
        printing = "as fast as it can" if not r["rate"] else f"paced at {r['rate']:,.0f} lines/s"
        print(f"\n{r['name']}: job prints {printing}; run {r['state']}, gap markers: {r['gaps']}")
        print(f"  stored:  {r['stored_per_s']:>10,.0f} lines/s (first print → last line stored)")
        print(f"  viewer:  {r['viewer_per_s']:>10,.0f} lines/s received over the live WebSocket")
        per = [f"{c / r['lines'] * 1e6:.1f}" for c in r["cpu"]]
        print(
            f"  CPU per line: server {per[0]} µs, worker agent {per[1]} µs, this viewer {per[2]} µs"
        )
        ms = {k: f"{r[k] * 1000:,.0f} ms" for k in ("p50", "p95", "p99", "max")}
        print(
            f"  latency print → viewer: p50 {ms['p50']}, p95 {ms['p95']}, p99 {ms['p99']},"
            f" max {ms['max']}"
        )
    print(
        f"\npeak RSS: server {rss.peak_server / 2**20:,.0f} MiB, "
        f"local worker agent {rss.peak_agent / 2**20:,.0f} MiB"
    )


if __name__ == "__main__":
    main()
