from __future__ import annotations

from django.db import models


class LogLine(models.Model):
    """One output line of a run; (run, seq) is unique so a re-sent batch stores nothing twice."""

    run = models.ForeignKey("runs.Run", models.CASCADE, related_name="lines", db_index=False)
    seq = models.PositiveIntegerField()
    ts = models.DateTimeField()
    stream = models.CharField(max_length=6)  # stdout | stderr
    level = models.CharField(max_length=8)
    text = models.TextField()

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="logline_run_seq")]
        # Retention purges by time.
        indexes = [models.Index(fields=["ts"])]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.seq} {self.level} {self.text[:60]}"
