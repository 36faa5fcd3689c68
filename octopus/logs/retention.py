"""Retention: output older than OCTOPUS_LOG_RETENTION (default 3 days) is deleted.

The monitor calls `purge_expired_lines` as one unit of its loop. Each call deletes one
small batch of chunks in its own short transaction and then pauses, so the workers' lines
keep flowing: SQLite has one writer at a time, and a writer waiting for the lock must get
it between two batches. Runs are not touched: they keep their state, times and line count.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings

from octopus.logs.models import LogChunk

PURGE_BATCH = 50  # chunks per transaction (each up to ingest.CHUNK_LINES lines)
PURGE_PAUSE = 0.02  # seconds after a batch: writers waiting for the lock go first


def purge_expired_lines(now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to `batch` of the oldest expired chunks; return how many were deleted."""
    cutoff = now - settings.LOG_RETENTION
    ids = list(
        LogChunk.objects.filter(ts__lt=cutoff).order_by("ts").values_list("id", flat=True)[:batch]
    )
    if not ids:
        return 0
    LogChunk.objects.filter(id__in=ids).delete()
    time.sleep(PURGE_PAUSE)
    return len(ids)
