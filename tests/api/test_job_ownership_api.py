"""The API applies the same ownership rules as the pages: an operator changes only the jobs
that they or their group own."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from octopus.jobs.models import Job
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def test_an_operator_cannot_change_someone_elses_job_over_the_api(
    api_as, operator, make_user, make_job
) -> None:
    olga = make_user("olga", "operator")
    foreign = make_job("foreign", owner=olga)
    queued = Run.objects.create(job=foreign, trigger="manual", state="queued")
    api = api_as(operator)
    assert api.patch(f"/jobs/{foreign.id}", {"command": "rm -rf /"}).status_code == 403
    assert api.post(f"/jobs/{foreign.id}/runs").status_code == 403
    assert api.post(f"/runs/{queued.id}/cancel").status_code == 403
    assert api.delete(f"/jobs/{foreign.id}").status_code == 403
    assert Job.objects.get(pk=foreign.pk).command == "echo hi"
    assert Run.objects.get(pk=queued.pk).state == "queued"

    team = Group.objects.create(name="etl")
    operator.groups.add(team)
    Job.objects.filter(pk=foreign.pk).update(group=team)
    assert api.patch(f"/jobs/{foreign.id}", {"command": "echo shared"}).status_code == 200
