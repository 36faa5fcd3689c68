"""Choose a worker for a run among the online workers that match its job's target."""

from __future__ import annotations

import random
from collections.abc import Sequence

from octopus.jobs.models import Job, Routing
from octopus.workers.models import Worker


def eligible_workers(job: Job, workers: Sequence[Worker], fanout_key: str = "") -> list[Worker]:
    """Workers that may run this job, in name order."""
    matching = [w for w in workers if w.has_labels(job.target_labels)]
    if job.target_worker_id:
        matching = [w for w in matching if w.id == job.target_worker_id]
    if fanout_key:
        matching = [w for w in matching if w.name == fanout_key]
    return sorted(matching, key=lambda w: w.name)


def pick_worker(job: Job, candidates: list[Worker], last_worker_id: int | None) -> Worker:
    """One worker from a non-empty, name-ordered list, by the job's routing."""
    if job.routing == Routing.ROUND_ROBIN and last_worker_id is not None:
        # Next by id after the last one used, wrapping around.
        by_id = sorted(candidates, key=lambda w: w.id)
        after = [w for w in by_id if w.id > last_worker_id]
        return after[0] if after else by_id[0]
    if job.routing == Routing.LEAST_LOADED:
        return min(candidates, key=lambda w: (w.running_count, w.load.get("cpu", 0), w.name))
    if job.routing == Routing.RANDOM:
        return random.choice(candidates)
    return candidates[0]


def describe_target(job: Job) -> str:
    parts = []
    if job.target_worker_id:
        parts.append(f"worker {job.target_worker.name if job.target_worker else '?'}")
    if job.target_labels:
        parts.append("labels " + ",".join(job.target_labels))
    return " and ".join(parts) or "any worker"
