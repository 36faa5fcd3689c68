"""Download a run's whole log as text, streamed, from the real server."""

from __future__ import annotations

import httpx
import pytest

from octopus.logs.ingest import store_lines
from tests.e2e.octopus_process import Browserless
from tests.logs.conftest import lines


@pytest.mark.django_db(transaction=True)
def test_it_streams_every_line_as_text_and_marks_what_is_missing(
    asgi_server, viewer, make_run
) -> None:
    run = make_run(state="succeeded")
    store_lines(run, lines(*[f"line {i} ✓" for i in range(1, 20_001)]))
    store_lines(run, lines("after a hole", first=20_005))
    browser = Browserless(asgi_server)
    browser.login(viewer.username, "pw-for-tests")
    with browser.client.stream("GET", f"/runs/{run.id}/log.txt") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.headers["content-disposition"] == f'attachment; filename="run-{run.id}.log"'
        body = response.read().decode()
    text = body.splitlines()
    assert text[:20_000] == [f"line {i} ✓" for i in range(1, 20_001)]
    assert text[20_000:] == ["[octopus: lines 20001-20004 are not stored]", "after a hole"]


@pytest.mark.django_db(transaction=True)
def test_it_needs_a_login(asgi_server, make_run) -> None:
    run = make_run()
    response = httpx.get(f"{asgi_server}/runs/{run.id}/log.txt")
    assert response.status_code == 302
    assert response.headers["location"].startswith("/login/")
    assert httpx.get(f"{asgi_server}/runs/999999/log.txt").status_code == 302
