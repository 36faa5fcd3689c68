"""Whatever bytes a job prints end up stored as readable lines: a real process, read by the
worker's executor, stored by the server, read back."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from octopus.logs.ingest import store_lines
from octopus.logs.reading import lines_after
from octopus_agent import protocol
from octopus_agent.executor import Execution, decode_line

pytestmark = pytest.mark.django_db

MAX = 64 * 1024


def run_and_store(run, command: str) -> list[str]:
    """Run the command as the worker would, store its lines, return what was stored."""
    batches: list[list] = []
    spec = protocol.RunSpec(run_id=run.id, job_name="bytes", command=command)
    execution = Execution(
        spec,
        on_line=lambda seq, ts, stream, text: batches.append([[seq, ts, stream, text]]),
        on_lines=lambda first, ts, stream, texts: batches.append(
            [[first + i, ts, stream, text] for i, text in enumerate(texts)]
        ),
        max_line_bytes=MAX,
    )
    outcome = asyncio.run(execution.run())
    assert outcome.exit_code == 0, outcome
    for batch in batches:
        store_lines(run, batch)
    return [line.text for line in lines_after(run, limit=100_000)]


def test_it_keeps_invalid_utf8_readable(make_run) -> None:
    stored = run_and_store(make_run(), r"printf 'caf\351 \377\376 ok\nstill utf-8: café\n'")
    assert stored == ["caf\\xe9 \\xff\\xfe ok", "still utf-8: café"]


def test_it_escapes_nul_bytes(make_run) -> None:
    assert run_and_store(make_run(), r"printf 'a\000b\000\n'") == ["a\\x00b\\x00"]


def test_it_stores_random_binary_output_as_the_worker_decodes_it(make_run, tmp_path: Path) -> None:
    data = random.Random(5).randbytes(200_000)
    blob = tmp_path / "blob.bin"
    blob.write_bytes(data)
    stored = run_and_store(make_run(), f"cat {blob}")
    parts = data.split(b"\n")
    expected = [decode_line(part) for part in parts[:-1]]
    if parts[-1]:
        expected.append(decode_line(parts[-1]))
    assert stored == expected
    assert all("\x00" not in text and "\n" not in text for text in stored)


def test_it_stores_output_that_never_ends_a_line(make_run) -> None:
    assert run_and_store(make_run(), "printf 'no newline at the end'") == ["no newline at the end"]


def test_it_cuts_a_line_over_the_limit_with_a_visible_marker(make_run) -> None:
    stored = run_and_store(make_run(), f"head -c {3 * MAX} /dev/zero | tr '\\0' x; echo; echo next")
    assert stored == ["x" * MAX + f" …[line cut at {MAX} bytes]", "next"]


def test_it_cuts_endless_output_without_newlines_once(make_run) -> None:
    stored = run_and_store(make_run(), f"head -c {5 * MAX} /dev/zero | tr '\\0' y")
    assert stored == ["y" * MAX + f" …[line cut at {MAX} bytes]"]
