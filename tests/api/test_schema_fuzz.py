"""Schemathesis against the served OpenAPI schema, over a real socket: whatever it sends,
valid or not, the API never answers with a server error (5xx), and what it answers with
2xx matches the schema."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from octopus.accounts.api_tokens import issue_token
from octopus.alerts.models import Alert
from octopus.runs.models import Run

EXAMPLES = 12  # per operation and mode: bounded so the whole test takes seconds


@pytest.fixture
def seeded(admin_user, make_job, make_worker) -> str:
    """A token, and a few rows for the fuzzer's ids (1, 2…) to hit."""
    make_worker("w1")
    for n in range(3):
        job = make_job(f"job-{n}", schedule="*/5 * * * *")
        Run.objects.create(job=job, trigger="manual", state="succeeded")
        now = timezone.now()
        Alert.objects.create(kind="run_failed", job=job, title="t", first_seen=now, last_seen=now)
    return issue_token(admin_user, "fuzz")[1]


def test_the_api_never_fails_with_a_server_error(asgi_server, seeded) -> None:
    headers = {"Authorization": f"Bearer {seeded}"}
    schema = schemathesis.openapi.from_url(f"{asgi_server}/api/v1/openapi.json", headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: Counter[int] = Counter()
    assert len(operations) >= 16
    for operation in operations:
        # A long poll would only make the fuzzer wait: its waiting is tested elsewhere.
        query = {"wait": 0} if operation.path.endswith("/logs") else None
        for mode in (
            schemathesis.GenerationMode.POSITIVE,
            schemathesis.GenerationMode.NEGATIVE,
        ):
            strategy = operation.as_strategy(generation_mode=mode, headers=headers, query=query)

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                response = case.call(base_url=asgi_server, headers=headers, timeout=30)
                statuses[response.status_code // 100 * 100] += 1
                case.validate_response(
                    response, checks=(not_a_server_error, response_schema_conformance)
                )

            try:
                check()
            except Unsatisfiable:
                # Nothing invalid can be said to this operation (e.g. only free-text
                # query parameters): there is no negative case to send.
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    # It really exercised the API: accepted requests and refused ones, none failed.
    assert statuses[200] > 50 and statuses[400] > 50, statuses
    assert statuses[500] == 0
