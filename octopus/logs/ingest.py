"""Store a batch of a run's output lines: the log hot path.

Lines arrive as [seq, ts, stream, text] from the worker. Storing is idempotent: (run, seq)
is unique and conflicts are ignored, so a batch sent again after a reconnect adds nothing.
While storing, lines are read for what they mean to the run: the level in the original
format, an end marker (code 120), a cursor checkpoint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db.models import F
from django.db.models.functions import Greatest

from octopus.alerts import rules as alert_rules
from octopus.jobs.models import Job
from octopus.lib.logline import CODE_END, parse_line
from octopus.logs.models import LogLine
from octopus.runs.models import Run
from octopus_agent import protocol

MARKER = "…[line cut at {} bytes]"


def _bounded(text: str) -> str:
    # The worker already cuts long lines; this guards the database against any client.
    limit = settings.LOG_LINE_MAX_BYTES
    if len(text) > limit // 4 and len(text.encode("utf-8", "surrogatepass")) > limit:
        cut = text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")
        return cut + " " + MARKER.format(limit)
    return text.replace("\x00", "\\x00")


def store_lines(run: Run, lines: list[list]) -> int:
    """Store the lines; return the highest seq in the batch."""
    if not lines:
        return 0
    rows = []
    end_marker = False
    cursor: str | None = None
    for seq, ts, stream, text in lines:
        text = _bounded(str(text))
        if stream == protocol.SYSTEM:
            level = "warn"
        else:
            parsed = parse_line(text, stream)
            level = parsed.level
            if parsed.code == CODE_END:
                end_marker = True
            if parsed.level == "cursor":
                cursor = parsed.content
        rows.append(
            LogLine(
                run_id=run.id,
                seq=int(seq),
                ts=datetime.fromtimestamp(float(ts), UTC),
                stream=stream[:6],
                level=level,
                text=text,
            )
        )
    LogLine.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    last_seq = max(int(line[0]) for line in lines)
    last_ts = datetime.fromtimestamp(float(lines[-1][1]), UTC)
    updates: dict = {"log_lines": Greatest(F("log_lines"), last_seq), "last_output_at": last_ts}
    if end_marker:
        updates["saw_end_marker"] = True
    Run.objects.filter(id=run.id).update(**updates)
    if cursor is not None:
        # A checkpoint: stored on the job at once, so the next run or retry resumes here.
        Job.objects.filter(id=run.job_id).update(cursor=cursor)
    alert_rules.log_lines_stored(run, [(row.seq, row.level, row.text) for row in rows])
    return last_seq
