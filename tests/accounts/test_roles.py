"""The role rules as plain functions: admin > operator (own and group jobs) > viewer."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from octopus.accounts.roles import (
    can_admin,
    can_cancel_run,
    can_create_job,
    can_edit_job,
    can_run_job,
    can_view_job,
)
from octopus.jobs.models import Job
from octopus.runs.models import Run

pytestmark = pytest.mark.django_db


def test_it_lets_an_admin_do_everything(admin_user, make_job) -> None:
    job = make_job()
    assert can_admin(admin_user) and can_create_job(admin_user)
    assert can_view_job(admin_user, job) and can_edit_job(admin_user, job)
    assert can_run_job(admin_user, job)


def test_it_lets_an_operator_change_own_and_group_jobs_only(operator, make_user, make_job) -> None:
    other = make_user("olga", "operator")
    team = Group.objects.create(name="etl-team")
    operator.groups.add(team)
    own = make_job("own", owner=operator)
    shared = make_job("shared", owner=other, group=team)
    foreign = make_job("foreign", owner=other)
    assert can_create_job(operator) and not can_admin(operator)
    assert can_edit_job(operator, own) and can_run_job(operator, own)
    assert can_edit_job(operator, shared) and can_run_job(operator, shared)
    assert not can_edit_job(operator, foreign) and not can_run_job(operator, foreign)
    assert can_view_job(operator, foreign)
    assert can_cancel_run(operator, Run(job=shared)) and not can_cancel_run(
        operator, Run(job=foreign)
    )
    assert {job for job in Job.objects.all() if can_edit_job(operator, job)} == {own, shared}


def test_it_lets_a_viewer_only_read(viewer, make_job) -> None:
    job = make_job(owner=viewer)  # even a job the viewer "owns"
    assert can_view_job(viewer, job)
    assert not can_edit_job(viewer, job) and not can_run_job(viewer, job)
    assert not can_create_job(viewer) and not can_admin(viewer)
    assert not [job for job in Job.objects.all() if can_edit_job(viewer, job)]


def test_it_gives_a_deactivated_user_nothing(make_user, make_job) -> None:
    gone = make_user("gone", "admin")
    gone.is_active = False
    assert not can_admin(gone) and not can_view_job(gone, make_job())
