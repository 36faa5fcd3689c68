from __future__ import annotations

import time

import pytest


@pytest.fixture
def make_run(make_job, make_worker):
    """A run in flight on a worker, of a job of its own."""
    from octopus.runs.models import Run

    counter = iter(range(1, 10_000))

    def make(job=None, worker=None, **fields):
        n = next(counter)
        job = job or make_job(f"job-{n}")
        fields.setdefault("state", "running")
        return Run.objects.create(
            job=job, trigger="manual", worker=worker or make_worker(f"w-{n}"), **fields
        )

    return make


def lines(*texts: str, first: int = 1, ts: float | None = None, stream: str = "stdout") -> list:
    """Worker-style entries [seq, ts, stream, text] for the texts, seqs from `first`."""
    ts = time.time() if ts is None else ts
    return [[first + i, ts, stream, text] for i, text in enumerate(texts)]
