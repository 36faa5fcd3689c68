from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from octopus_agent.spool import Spool, SpoolFull


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "spool.sqlite3"


def reopen(path: Path, **kwargs: int) -> closing[Spool]:
    return closing(Spool(path, **kwargs))


def bodies(n: int) -> Iterator[dict[str, object]]:
    for i in range(n):
        yield {"run_id": 1, "lines": [[i + 1, 0.0, "stdout", f"line {i + 1} ✓"]]}


def test_spool_keeps_messages_in_order_across_a_restart(path: Path) -> None:
    with reopen(path) as spool:
        ids = [spool.append("log", body) for body in bodies(3)]
        ids.append(spool.append("run_finished", {"run_id": 1, "outcome": "exited"}))
    assert ids == sorted(ids)
    assert len(set(ids)) == 4

    with reopen(path) as spool:  # the agent restarted
        pending = spool.pending(0)
        assert [(i, t) for i, t, _ in pending] == list(
            zip(ids, ["log"] * 3 + ["run_finished"], strict=True)
        )
        assert [body for _, _, body in pending[:3]] == list(bodies(3))
        assert [i for i, _, _ in spool.pending(ids[1])] == ids[2:]
        assert [i for i, _, _ in spool.pending(0, limit=2)] == ids[:2]


def test_spool_ack_deletes_up_to_the_id_and_it_stays_deleted(path: Path) -> None:
    with reopen(path) as spool:
        ids = [spool.append("log", body) for body in bodies(3)]
        before = spool.pending_bytes
        spool.ack(ids[1])
        assert [i for i, _, _ in spool.pending(0)] == [ids[2]]
        assert spool.count() == 1
        assert 0 < spool.pending_bytes < before
        spool.ack(ids[1])  # acknowledged again (after a reconnect): nothing changes
        assert spool.count() == 1

    with reopen(path) as spool:
        assert [i for i, _, _ in spool.pending(0)] == [ids[2]]
        assert spool.pending_bytes > 0


def test_spool_never_reuses_an_id_even_after_a_restart(path: Path) -> None:
    with reopen(path) as spool:
        first = spool.append("log", {"run_id": 1, "lines": []})
        spool.ack(first)
        assert spool.count() == 0
    with reopen(path) as spool:
        assert spool.append("log", {"run_id": 1, "lines": []}) > first


def test_spool_refuses_messages_past_max_bytes_unless_forced(path: Path) -> None:
    with reopen(path, max_bytes=200) as spool:
        small = spool.append("log", {"run_id": 1, "lines": [[1, 0.0, "stdout", "x"]]})
        big = {"run_id": 1, "lines": [[2, 0.0, "stdout", "y" * 300]]}
        with pytest.raises(SpoolFull):
            spool.append("log", big)
        assert spool.count() == 1
        # A run result is always stored.
        forced = spool.append("run_finished", {"run_id": 1, "reason": "z" * 300}, force=True)
        assert forced > small
        with pytest.raises(SpoolFull):
            spool.append("log", {"run_id": 1, "lines": []})
        spool.ack(forced)  # the server took the backlog: there is room again
        assert spool.append("log", {"run_id": 1, "lines": []}) > forced


def test_spool_mark_seen_is_true_only_the_first_time_and_survives_a_restart(path: Path) -> None:
    with reopen(path) as spool:
        assert spool.mark_seen(7) is True
        assert spool.mark_seen(7) is False
        assert spool.mark_seen(8) is True
    with reopen(path) as spool:
        assert spool.mark_seen(7) is False
        spool.forget_seen_before(time.time() - 3600)  # recent runs are kept
        assert spool.mark_seen(8) is False
        spool.forget_seen_before(time.time() + 1)
        assert spool.mark_seen(7) is True
