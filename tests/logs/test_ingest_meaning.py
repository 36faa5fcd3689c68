"""What lines mean to their run: levels, the end marker, cursor checkpoints."""

from __future__ import annotations

import pytest

from octopus.jobs.models import Job
from octopus.logs.ingest import store_lines
from octopus.logs.reading import lines_after
from tests.logs.conftest import lines

pytestmark = pytest.mark.django_db


def test_levels_come_from_the_original_format_or_the_stream(make_run) -> None:
    run = make_run()
    store_lines(
        run,
        lines(
            "2013/07/04:16:41:00 app_name error Process has exited!",
            "2026-11-24T10:00:00Z app debug detail",
            "2026/11/24:10:00:00 app 120 done",
            "plain text",
            "1234 starts with digits but is not a time",
        )
        + lines("on stderr", "2026/11/24:10:00:00 app fatal boom", first=6, stream="stderr")
        + lines("octopus: killed", first=8, stream="system"),
    )
    assert [(line.stream, line.level) for line in lines_after(run)] == [
        ("stdout", "error"),
        ("stdout", "debug"),
        ("stdout", "info"),
        ("stdout", "info"),
        ("stdout", "info"),
        ("stderr", "warn"),
        ("stderr", "fatal"),
        ("system", "warn"),
    ]


def test_an_end_line_is_noted_on_the_run(make_run) -> None:
    run = make_run()
    store_lines(run, lines("working", "2026/11/24:10:00:00 etl 120 done"))
    run.refresh_from_db()
    assert run.saw_end_marker


def test_the_last_cursor_line_of_a_batch_checkpoints_the_job(make_run) -> None:
    run = make_run()
    store_lines(
        run,
        lines(
            "2026/11/24:10:00:00 etl cursor 100",
            "2026/11/24:10:00:01 etl cursor 200",
        ),
    )
    assert Job.objects.get(pk=run.job_id).cursor == "200"
    assert [line.level for line in lines_after(run)] == ["cursor", "cursor"]


def test_a_batch_sent_again_does_not_move_the_cursor_back(make_run) -> None:
    run = make_run()
    first = lines("2026/11/24:10:00:00 etl cursor 100")
    store_lines(run, first)
    store_lines(run, lines("2026/11/24:10:00:01 etl cursor 200", first=2))
    store_lines(run, first)  # re-sent after a reconnect
    assert Job.objects.get(pk=run.job_id).cursor == "200"
