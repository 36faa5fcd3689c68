from __future__ import annotations

from django.db import models


class LogChunk(models.Model):
    """Consecutive output lines of a run that arrived together, stored as one row.

    Why chunks and not a row per line: a row per line costs the database a B-tree insert
    per line in the table and in each index, about 5 µs per line on SQLite (bench/ and
    notes in octopus/logs/sql.py); a chunk of a fast job's output holds thousands of lines
    for the price of one row, and its text is indexed for search in one go. Lines are
    still addressed one by one (run, seq): octopus/logs/chunks.py packs and unpacks them,
    and reading.py is how everything else reads them.

    (run, last_seq) is unique: a batch sent again after a reconnect stores nothing twice.
    """

    run = models.ForeignKey("runs.Run", models.CASCADE, related_name="log_chunks", db_index=False)
    first_seq = models.PositiveIntegerField()
    last_seq = models.PositiveIntegerField()
    ts = models.DateTimeField()  # when the worker read these lines (one time for all)
    worst = models.PositiveSmallIntegerField()  # rank of the most severe line, 0 = fatal
    kinds = models.TextField()  # a letter per line: stream and level (chunks.py)
    text = models.TextField()  # the lines, joined by "\n"

    class Meta:
        constraints = [
            # Also the index of every read: a run's lines after a seq, in order.
            models.UniqueConstraint(fields=["run", "last_seq"], name="logchunk_run_last_seq")
        ]
        # Retention deletes by time; search filters and pages by time.
        indexes = [models.Index(fields=["ts"], name="logchunk_ts")]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.first_seq}-{self.last_seq}"
