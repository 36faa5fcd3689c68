"""The live log WebSocket, over a real socket to the app under uvicorn, as a browser uses it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from octopus.logs import live
from octopus.logs.ingest import store_lines
from octopus.runs.models import Run
from octopus.workers.tokens import issue_worker_token
from tests.e2e.octopus_process import Browserless
from tests.logs.conftest import lines

PASSWORD = "pw-for-tests"


@pytest.fixture
def cookie(asgi_server, viewer) -> str:
    browser = Browserless(asgi_server)
    response = browser.login(viewer.username, PASSWORD)
    assert response.url.path != "/login/"
    return "; ".join(f"{name}={value}" for name, value in browser.client.cookies.items())


def ws_url(base: str, path: str) -> str:
    return base.replace("http://", "ws://") + path


async def receive(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def until_end(ws: ClientConnection) -> list[dict[str, Any]]:
    """Messages up to and including "end" (or the server closing)."""
    messages = []
    try:
        while True:
            message = await receive(ws)
            messages.append(message)
            if message["type"] == "end":
                return messages
    except ConnectionClosed:
        return messages


def seqs(messages: list[dict[str, Any]]) -> list[int]:
    return [line[0] for m in messages if m["type"] == "lines" for line in m["lines"]]


def kinds(messages: list[dict[str, Any]]) -> list[Any]:
    """Message types, with each gap's range and reason."""
    return [
        ("gap", m["from"], m["to"], m["reason"]) if m["type"] == "gap" else m["type"]
        for m in messages
    ]


store = sync_to_async(store_lines)


@pytest.mark.django_db(transaction=True)
async def test_it_refuses_anonymous_viewers_and_other_sites(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)()
    url = ws_url(asgi_server, f"/ws/runs/{run.id}/log")
    with pytest.raises(InvalidStatus) as anonymous:
        async with connect(url):
            pass
    assert anonymous.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as cross_site:
        async with connect(url, additional_headers={"Cookie": cookie}, origin="http://evil.test"):
            pass
    assert cross_site.value.response.status_code == 403
    same_site = asgi_server.replace("localhost", "127.0.0.1")
    async with connect(url, additional_headers={"Cookie": cookie}, origin=same_site) as ws:
        assert (await receive(ws))["type"] == "run"


@pytest.mark.django_db(transaction=True)
async def test_bad_requests_get_a_clear_error(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)()
    headers = {"Cookie": cookie}
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log?after=abc"), additional_headers=headers
    ) as ws:
        assert await receive(ws) == {
            "type": "error",
            "message": "after must be a whole number, not 'abc'",
        }
        with pytest.raises(ConnectionClosed):
            await receive(ws)
        assert ws.close_code == 4400
    async with connect(
        ws_url(asgi_server, "/ws/runs/999999/log"), additional_headers=headers
    ) as ws:
        assert await receive(ws) == {"type": "error", "message": "run 999999 does not exist"}
        with pytest.raises(ConnectionClosed):
            await receive(ws)
        assert ws.close_code == 4404


@pytest.mark.django_db(transaction=True)
async def test_a_finished_run_is_sent_whole_with_its_gaps_marked(
    asgi_server, cookie, make_run
) -> None:
    run = await sync_to_async(make_run)(state="succeeded")
    await store(run, lines("a", "b", "c"))
    await store(run, lines("g", "h", "i", first=7))  # 4-6 never arrived
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log"), additional_headers={"Cookie": cookie}
    ) as ws:
        messages = await until_end(ws)
    assert kinds(messages) == ["run", "lines", ("gap", 4, 6, "missing"), "lines", "end"]
    assert messages[0]["run"]["state"] == "succeeded"
    assert messages[1]["lines"][0][2:] == ["stdout", "info", "a"]
    assert seqs(messages) == [1, 2, 3, 7, 8, 9]
    assert messages[-1] == {"type": "end", "run_id": run.id, "last_seq": 9}


@pytest.mark.django_db(transaction=True)
async def test_a_run_whose_lines_were_purged_says_so(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)(state="failed", log_lines=5)
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log"), additional_headers={"Cookie": cookie}
    ) as ws:
        assert kinds(await until_end(ws)) == ["run", ("gap", 1, 5, "missing"), "end"]


@pytest.mark.django_db(transaction=True)
async def test_tail_and_lag_skip_ahead_with_a_gap_marker(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)()
    await store(run, lines(*[f"line {i}" for i in range(1, 1001)]))
    headers = {"Cookie": cookie}
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log?tail=10"), additional_headers=headers
    ) as ws:
        assert (await receive(ws))["type"] == "run"
        assert await receive(ws) == {
            "type": "gap",
            "run_id": run.id,
            "from": 1,
            "to": 990,
            "reason": "skipped",
        }
        assert seqs([await receive(ws)]) == list(range(991, 1001))
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log?lag=100"), additional_headers=headers
    ) as ws:
        assert (await receive(ws))["type"] == "run"
        gap = await receive(ws)
        assert (gap["type"], gap["from"], gap["to"], gap["reason"]) == ("gap", 1, 950, "skipped")
        assert seqs([await receive(ws)]) == list(range(951, 1001))


@pytest.mark.django_db(transaction=True)
async def test_state_changes_and_new_lines_arrive_live(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)()
    async with connect(
        ws_url(asgi_server, f"/ws/runs/{run.id}/log"), additional_headers={"Cookie": cookie}
    ) as ws:
        assert (await receive(ws))["run"]["state"] == "running"
        await store(run, lines("first"))
        assert seqs([await receive(ws)]) == [1]
        await store(run, lines("second", first=2))
        assert seqs([await receive(ws)]) == [2]
        await sync_to_async(Run.objects.filter(pk=run.pk).update)(state="succeeded", exit_code=0)
        live.nudge(run.id)
        state = await receive(ws)
        assert (state["type"], state["run"]["state"], state["run"]["exit_code"]) == (
            "state",
            "succeeded",
            0,
        )
        assert await receive(ws) == {"type": "end", "run_id": run.id, "last_seq": 2}


@pytest.mark.django_db(transaction=True)
async def test_following_a_job_moves_on_to_its_next_run(
    asgi_server, cookie, make_job, make_run
) -> None:
    job = await sync_to_async(make_job)("nightly")
    first = await sync_to_async(make_run)(job=job, state="succeeded")
    await store(first, lines("from the first run"))
    async with connect(
        ws_url(asgi_server, f"/ws/jobs/{job.id}/follow"), additional_headers={"Cookie": cookie}
    ) as ws:
        messages = await until_end(ws)
        assert kinds(messages) == ["run", "lines", "end"]
        assert messages[0]["run"]["id"] == first.id
        second = await sync_to_async(make_run)(job=job)
        switched = await receive(ws)
        assert (switched["type"], switched["run"]["id"]) == ("run", second.id)
        await store(second, lines("from the second run"))
        await sync_to_async(Run.objects.filter(pk=second.pk).update)(state="failed")
        live.nudge(second.id)
        messages = await until_end(ws)
    assert kinds(messages) == ["lines", "state", "end"]
    assert messages[0]["lines"][0][4] == "from the second run"
    assert messages[0]["run_id"] == second.id
    assert messages[1]["run"]["state"] == "failed"


@pytest.mark.django_db(transaction=True)
async def test_a_viewer_that_does_not_read_holds_up_nothing(asgi_server, cookie, make_run) -> None:
    run = await sync_to_async(make_run)()
    url = ws_url(asgi_server, f"/ws/runs/{run.id}/log")
    headers = {"Cookie": cookie}
    # No compression, and a queue of one: the stalled client leaves the bytes in the socket.
    async with connect(url, additional_headers=headers, max_queue=1, compression=None) as stalled:
        assert (await receive(stalled))["type"] == "run"
        for batch in range(100):  # 50,000 lines, 20 MB: far more than socket buffers hold
            texts = [os.urandom(100).hex() for _ in range(500)]
            await store(run, lines(*texts, first=1 + 500 * batch))
        await sync_to_async(Run.objects.filter(pk=run.pk).update)(state="succeeded")
        async with connect(url, additional_headers=headers) as other:
            assert seqs(await until_end(other)) == list(range(1, 50_001))
        # The stalled viewer fell behind; reading now, it catches up without a loss.
        assert seqs(await until_end(stalled)) == list(range(1, 50_001))


@pytest.fixture
def agent(asgi_server, make_worker, tmp_path: Path):
    """The real worker agent, as a subprocess connected to the app under test."""
    worker = make_worker("agent-1", online=False)
    token = issue_worker_token(worker)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "octopus_agent",
            "--server",
            asgi_server,
            "--name",
            "agent-1",
            "--data-dir",
            str(tmp_path / "agent"),
            "--no-detect-runtimes",
            "--log-level",
            "WARNING",
        ],
        env={**os.environ, "OCTOPUS_AGENT_TOKEN": token},
    )
    yield worker
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


PRINT_400 = (
    "python3 -u -c 'import time\n"
    "for i in range(1, 401):\n"
    '    print("line", i); time.sleep(0.005)\''
)


@pytest.mark.django_db(transaction=True)
async def test_a_viewer_resumes_after_a_dropped_connection_missing_and_doubling_nothing(
    asgi_server, cookie, agent, make_job
) -> None:
    job = await sync_to_async(make_job)("counter", command=PRINT_400)
    run = await sync_to_async(Run.objects.create)(
        job=job, trigger="manual", worker=agent, state="dispatched", command=PRINT_400
    )
    url = ws_url(asgi_server, f"/ws/runs/{run.id}/log")
    received: list[list[Any]] = []
    ws = await connect(url, additional_headers={"Cookie": cookie})
    while len(received) < 100:
        message = await receive(ws, timeout=30)
        if message["type"] == "lines":
            received += message["lines"]
    ws.transport.abort()  # the connection drops: no closing handshake
    last = received[-1][0]
    async with connect(f"{url}?after={last}", additional_headers={"Cookie": cookie}) as again:
        messages = await until_end(again)
    received += [line for m in messages if m["type"] == "lines" for line in m["lines"]]
    assert [line[0] for line in received] == list(range(1, 401))
    assert [line[4] for line in received] == [f"line {i}" for i in range(1, 401)]
    states = [m["run"]["state"] for m in messages if m["type"] in ("run", "state")]
    assert states[-1] == "succeeded"
    assert messages[-1] == {"type": "end", "run_id": run.id, "last_seq": 400}
