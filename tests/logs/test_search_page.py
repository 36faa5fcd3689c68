"""The Logs page: the search form, its results and its errors."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from octopus.logs.ingest import store_lines
from tests.logs.conftest import lines

pytestmark = pytest.mark.django_db


def test_it_needs_a_login(client) -> None:
    response = client.get("/logs/?q=secret")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_shows_matching_lines_with_links_to_their_run(client, viewer, make_run) -> None:
    run = make_run()
    store_lines(run, lines("2026/11/24:10:00:00 etl error <disk> full", "all good"))
    client.force_login(viewer)
    page = client.get("/logs/", {"q": "disk", "level": "error"}).content.decode()
    assert f'href="/runs/{run.id}/#L1"' in page
    assert "<mark>disk</mark>" in page
    assert "&lt;" in page and "<disk>" not in page  # output is text, never HTML
    assert "all good" not in page
    assert re.search(r'<a href="/logs/" class="active">Logs</a>', page)


def test_the_first_visit_shows_the_newest_lines(client, viewer, make_run) -> None:
    store_lines(make_run(), lines("hello from a job"))
    client.force_login(viewer)
    assert "hello from a job" in client.get("/logs/").content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "last tuesday"}, "is not a time like 2026-11-24 10:00"),
        ({"since": "2h", "until": "3h"}, "“From” must be before “To”."),
        ({"level": "loud"}, "Select a valid choice"),
        ({"job": "abc"}, "Select a valid choice"),
        ({"run": "-3"}, "Ensure this value is greater than or equal to 1"),
        ({"older": "nonsense"}, "not a page position"),
    ],
)
def test_bad_input_gets_a_clear_message_and_no_results(client, viewer, params, message) -> None:
    client.force_login(viewer)
    response = client.get("/logs/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="hits"' not in page


def test_a_nul_in_the_search_is_refused_before_any_query(client, viewer) -> None:
    client.force_login(viewer)
    response = client.get("/logs/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert "NUL characters (0x00) are not allowed" in response.content.decode()


def test_times_are_read_in_the_viewers_time_zone(client, viewer, make_run) -> None:
    run = make_run()
    at = (timezone.now() - timedelta(hours=5)).replace(minute=30, second=0, microsecond=0)
    store_lines(run, lines("at half past", ts=at.timestamp()))
    client.force_login(viewer)
    local = at.astimezone(ZoneInfo("Asia/Shanghai"))
    shanghai = {
        "tz": "Asia/Shanghai",
        "since": local.strftime("%Y-%m-%d %H:00"),
        "until": local.strftime("%Y-%m-%d %H:59"),
    }
    assert "at half past" in client.get("/logs/", shanghai).content.decode()
    utc = {**shanghai, "tz": "UTC"}
    assert "at half past" not in client.get("/logs/", utc).content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"run": "99999999999999999999"}, "Ensure this value is less than or equal to"),
        ({"since": "999999999w"}, "is not a time like 2026-11-24 10:00"),
        ({"older": "2026-11-24T10:00:00+00:00~99999999999999999999~1"}, "not a page position"),
        ({"newer": "2026-11-24T10:00:00+00:00~1~99999999999999999999"}, "not a page position"),
    ],
)
def test_values_beyond_what_the_database_holds_get_a_clear_message(
    client, viewer, params, message
) -> None:
    client.force_login(viewer)
    response = client.get("/logs/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'id="hits"' not in page


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        # Further back than the calendar goes: since its first day.
        ({"since": "1000000d"}, True),
        ({"since": "0001-01-01 00:00", "tz": "Pacific/Kiritimati"}, True),
        ({"until": "9999-12-31 23:59", "tz": "Etc/GMT+12"}, True),
        ({"until": "1000000d"}, False),
        # A page position at the calendar's first moment, in a zone east of UTC.
        ({"older": "0001-01-01T00:00:00+14:00~1~1"}, False),
        ({"newer": "0001-01-01T00:00:00+14:00~9000~9000"}, True),
        ({"older": "9999-12-31T23:59:59-12:00~9000~9000"}, True),
    ],
)
def test_times_at_the_calendars_edges_are_clamped_not_a_server_error(
    client, viewer, make_run, params, shown
) -> None:
    store_lines(make_run(), lines("a line of output"))
    client.force_login(viewer)
    response = client.get("/logs/", params)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="msg error"' not in page
    assert ("a line of output" in page) is shown
