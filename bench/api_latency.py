"""Latency of the REST API against a running server, as the CLI sees it.

    python bench/api_latency.py --url http://127.0.0.1:8000 --token oct_… [--jobs 200] [-n 200]

Creates `--jobs` jobs named bench-api-N (if missing), then times, each `-n` times:
GET /jobs?limit=50, GET /jobs/{id}, GET /runs?limit=50 and POST /jobs/apply (dry run of all
of them), and prints median, p95 and requests/s. Sends traffic only to --url; deletes
nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

import httpx


def timed(client: httpx.Client, count: int, method: str, path: str, **kwargs) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.request(method, path, **kwargs)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def report(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{name:<34} median {statistics.median(ordered) * 1000:7.1f} ms   "
        f"p95 {p95 * 1000:7.1f} ms   {len(ordered) / sum(ordered):7.1f} req/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    client = httpx.Client(
        base_url=args.url.rstrip("/") + "/api/v1",
        headers={"Authorization": f"Bearer {args.token}"},
        timeout=60,
    )
    specs = [{"name": f"bench-api-{n}", "command": f"echo {n}"} for n in range(args.jobs)]
    client.post("/jobs/apply", json={"jobs": specs}).raise_for_status()
    job_id = client.get("/jobs", params={"name": "bench-api-0"}).json()["items"][0]["id"]
    print(f"{args.jobs} jobs, {args.n} requests each, one client, {args.url}")
    report("GET /jobs?limit=50", timed(client, args.n, "GET", "/jobs", params={"limit": 50}))
    report("GET /jobs/{id}", timed(client, args.n, "GET", f"/jobs/{job_id}"))
    report("GET /runs?limit=50", timed(client, args.n, "GET", "/runs", params={"limit": 50}))
    report(
        f"POST /jobs/apply ({args.jobs}, dry run)",
        timed(
            client,
            max(args.n // 10, 5),
            "POST",
            "/jobs/apply",
            json={"jobs": specs, "dry_run": True},
        ),
    )


if __name__ == "__main__":
    main()
