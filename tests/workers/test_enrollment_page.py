"""The Add a worker page: an admin creates an enrollment token for a number of workers."""

from __future__ import annotations

import pytest

from octopus.workers.models import EnrollmentToken

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("uses", "expected"), [("3", 3), ("", 1), ("0", 1), ("5000", 1000), ("9" * 30, 1000)]
)
def test_the_number_of_uses_is_kept_between_1_and_1000(client, admin_user, uses, expected) -> None:
    client.force_login(admin_user)
    response = client.post("/workers/enroll/", {"uses": uses})
    assert response.status_code == 200
    assert 'id="enroll-command"' in response.content.decode()
    assert EnrollmentToken.objects.get().uses_left == expected


@pytest.mark.parametrize("uses", ["abc", "1e3", "2.5", "٣x"])
def test_a_number_of_uses_that_is_no_number_is_a_400_with_the_form_again(
    client, admin_user, uses
) -> None:
    client.force_login(admin_user)
    response = client.post("/workers/enroll/", {"uses": uses})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a whole number." in page
    assert 'name="uses"' in page and 'id="enroll-command"' not in page
    assert not EnrollmentToken.objects.exists()
