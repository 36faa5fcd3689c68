"""HTTP requests run Django's code on long-lived threads, not on a new thread each."""

from __future__ import annotations

import threading

import httpx


def request_threads() -> set[int]:
    return {t.ident or 0 for t in threading.enumerate() if t.name.startswith("request-")}


def test_sequential_requests_reuse_a_few_threads(asgi_server) -> None:
    before = request_threads()
    all_before = {t.ident for t in threading.enumerate()}
    with httpx.Client(base_url=asgi_server) as client:
        for _ in range(40):
            assert client.get("/health").status_code == 200
    made = request_threads() - before
    # A few threads served all forty (the next request may come in while the last one's
    # handler is still returning its thread), and they are still there to serve more.
    assert 1 <= len(made) <= 8, made
    # Nothing else was started per request (Django's default: a thread each, then joined).
    others = {t.ident for t in threading.enumerate()} - all_before - made
    assert len(others) <= 2, others


def test_concurrent_requests_get_threads_of_their_own(asgi_server) -> None:
    import concurrent.futures

    before = request_threads()
    with httpx.Client(base_url=asgi_server) as client:
        client.get("/login/")  # warm up
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.get("/login/").status_code, range(40)))
    assert answers == [200] * 40
    assert 1 <= len(request_threads() - before) <= 16  # bounded by the pool's size
