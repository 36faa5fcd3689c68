from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.databases import drop_all_created
from tests.e2e.octopus_process import Browserless, OctopusUp


@pytest.fixture
def octopus_up(tmp_path: Path) -> Iterator[OctopusUp]:
    instance = OctopusUp(tmp_path / "data").start()
    try:
        yield instance
    finally:
        code = instance.stop()
        assert code == 0, f"octopus up exited with {code}:\n{instance.log()}"


@pytest.fixture
def ui(octopus_up: OctopusUp) -> Browserless:
    user = Browserless(octopus_up.url)
    response = user.login()
    assert response.url.path != "/login/", "login failed"
    return user


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    yield
    drop_all_created()
