"""A cancel asked for through the API reaches the worker running the run as protocol.CANCEL,
over a real WebSocket to the app under uvicorn."""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from octopus.runs import lifecycle
from octopus.runs.models import Run
from octopus.workers.models import Worker
from octopus.workers.tokens import issue_worker_token
from octopus_agent import protocol


@sync_to_async
def running_run(worker_name: str, make_job) -> tuple[str, Run]:
    worker = Worker.objects.create(name=worker_name)
    token = issue_worker_token(worker)
    run = Run.objects.create(
        job=make_job(command="sleep 60"), trigger="manual", worker=worker, state="running"
    )
    return token, run


async def test_a_cancel_request_is_sent_to_the_worker_once(asgi_server, make_job, operator) -> None:
    token, run = await running_run("w1", make_job)
    url = asgi_server.replace("http://", "ws://") + protocol.AGENT_PATH
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": protocol.HELLO, "name": "w1", "running": [run.id]}))
        assert json.loads(await ws.recv())["type"] == protocol.WELCOME
        outcome = await sync_to_async(lifecycle.request_cancel)(run, operator)
        assert outcome == "requested"
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message == {
            "type": protocol.CANCEL,
            "run_id": run.id,
            "reason": "cancelled by oscar",
            "grace": 5,
        }
        # Not sent again at the next poll while the run winds down.
        try:
            extra = json.loads(await asyncio.wait_for(ws.recv(), 1.5))
        except TimeoutError:
            extra = None
        assert extra is None
