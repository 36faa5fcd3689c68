"""The agent WebSocket endpoint, over a real socket to the app under uvicorn."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from octopus.runs.models import Run
from octopus.workers.models import Worker
from octopus.workers.tokens import issue_worker_token, revoke_worker_token
from octopus_agent import protocol

pytestmark = pytest.mark.usefixtures("async_db_closed")


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + protocol.AGENT_PATH


@sync_to_async
def new_worker(name: str = "w1") -> tuple[Worker, str]:
    worker = Worker.objects.create(name=name)
    return worker, issue_worker_token(worker)


async def refused_status(url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, additional_headers=headers):
            pass
    return info.value.response.status_code


async def test_it_refuses_a_missing_bad_or_revoked_token(asgi_server) -> None:
    url = ws_url(asgi_server)
    assert await refused_status(url, "") == 403
    assert await refused_status(url, "ocw_not-a-real-token") == 403
    worker, token = await new_worker()
    await sync_to_async(revoke_worker_token)(worker)
    assert await refused_status(url, token) == 403


async def test_hello_then_a_dispatched_run_is_pushed_and_acked(asgi_server, make_job) -> None:
    worker, token = await new_worker()
    async with connect(
        ws_url(asgi_server), additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": protocol.HELLO,
                    "name": "w1",
                    "hostname": "h",
                    "labels": ["python3.11"],
                    "running": [],
                }
            )
        )
        welcome = json.loads(await ws.recv())
        assert welcome["type"] == protocol.WELCOME
        job = await sync_to_async(make_job)(command="echo hi")
        run = await sync_to_async(Run.objects.create)(
            job=job, trigger="manual", worker=worker, state="dispatched", command="echo hi"
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == protocol.RUN
        assert message["run"]["run_id"] == run.id
        await ws.send(
            json.dumps(
                {
                    "type": protocol.RUN_STARTED,
                    "id": 7,
                    "run_id": run.id,
                    "pid": 10,
                    "started_at": 1.0,
                }
            )
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": protocol.ACK, "upto": 7}
    for _ in range(50):
        worker = await sync_to_async(Worker.objects.get)(pk=worker.pk)
        if worker.connected_at is None:
            break
        await asyncio.sleep(0.05)
    assert worker.labels == ["python3.11"]
    assert worker.connected_at is None
    run = await sync_to_async(Run.objects.get)(pk=run.pk)
    assert (run.state, run.pid) == ("running", 10)
