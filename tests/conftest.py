from __future__ import annotations

import os
import tempfile

# Settings read these at import: keep test runs away from ./var.
os.environ.setdefault("OCTOPUS_DATA_DIR", tempfile.mkdtemp(prefix="octopus-test-"))
os.environ.setdefault("OCTOPUS_SECRET_KEY", "test-secret-key-not-for-production")

import pytest


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    from octopus.accounts.models import Profile

    def make(username: str, role: str = "viewer", password: str = "pw-for-tests"):
        user = get_user_model().objects.create_user(username, password=password)
        Profile.objects.create(user=user, role=role)
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("alice", "admin")


@pytest.fixture
def operator(make_user):
    return make_user("oscar", "operator")


@pytest.fixture
def viewer(make_user):
    return make_user("victor", "viewer")


@pytest.fixture
def make_job(db):
    from octopus.jobs.models import Job

    def make(name: str = "job", **fields):
        fields.setdefault("command", "echo hi")
        return Job.objects.create(name=name, **fields)

    return make


@pytest.fixture
def make_worker(db):
    from django.utils import timezone

    from octopus.workers.models import Worker

    def make(name: str = "w1", labels=(), online: bool = True, **fields):
        now = timezone.now()
        return Worker.objects.create(
            name=name,
            labels=list(labels),
            state="online" if online else "offline",
            connected_at=now if online else None,
            last_seen=fields.pop("last_seen", now),
            token_hash=fields.pop("token_hash", f"hash-{name}"),
            **fields,
        )

    return make


@pytest.fixture
def asgi_server(transactional_db):
    """The real ASGI app under uvicorn on a free port, in a thread, on the test database."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        "octopus.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    from octopus.logs.reading import close_reader_connections

    close_reader_connections()  # live-log readers keep theirs open


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # Connections opened by the ASGI server's threads in tests must not outlive a call:
    # PostgreSQL refuses to drop a test database someone is still connected to.
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture
async def async_db_closed():
    """For async tests using the ORM through sync_to_async: the executor thread's connection
    is closed at the end (PostgreSQL refuses to drop a test database still in use)."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()
