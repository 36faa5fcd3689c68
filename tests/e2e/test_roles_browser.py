"""Each role in a real browser: what it sees, what it can do, and what the server refuses
when the request a hidden button would have sent is made anyway (same session, CSRF token).
Also the login lockout as a person meets it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, Browserless, OctopusUp

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORD = "a-long-password-42"


class Site:
    """One `octopus up` for the module, with people and jobs made through the admin pages."""

    def __init__(self, up: OctopusUp) -> None:
        self.up = up
        self.url = up.url
        admin = Browserless(up.url)
        admin.login()
        for username, role, groups in (
            ("vera", "viewer", ""),
            ("otto", "operator", "etl"),
            ("olga", "operator", ""),
        ):
            token = admin.csrf("/people/new/")
            response = admin.client.post(
                "/people/new/",
                data={
                    "username": username,
                    "role": role,
                    "groups": groups,
                    "password": PASSWORD,
                    "is_active": "on",
                    "csrfmiddlewaretoken": token,
                },
            )
            assert response.url.path == "/people/", response.text[:500]
        olga = self.user_id("olga")
        etl = up.query("select id from auth_group where name = 'etl'")[0]["id"]
        self.olga_job = admin.create_job_id(name="olga-only", command="echo olga", owner=olga)
        self.etl_job = admin.create_job_id(
            name="etl-shared", command="echo shared {args}", owner=olga, group=etl
        )
        admin.run_now(self.olga_job)
        self.olga_run = up.query("select max(id) as id from runs_run")[0]["id"]

    def user_id(self, username: str) -> int:
        return self.up.query("select id from auth_user where username = ?", username)[0]["id"]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    up = OctopusUp(Path(tmp_path_factory.mktemp("roles")) / "data").start()
    try:
        yield Site(up)
    finally:
        assert up.stop() == 0, up.log()


def log_in(page, url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def post_as_page(page, url: str) -> int:
    """POST from the logged-in page's own session, with its CSRF token: what a hidden button
    (or a hand-made request) would send. Returns the status code."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        url, headers={"X-CSRFToken": token}, form={"args": ""}, max_redirects=0
    )
    return response.status


def test_a_viewer_reads_everything_and_changes_nothing(site: Site) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        log_in(page, site.url, "vera")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="People")).to_have_count(0)
        expect(nav.get_by_role("link", name="Audit")).to_have_count(0)
        expect(page.get_by_role("link", name="New job")).to_have_count(0)

        page.goto(f"{site.url}/jobs/{site.etl_job}/")
        expect(page.get_by_role("heading", name="etl-shared")).to_be_visible()
        for name in ("Run now", "Disable", "Delete"):
            expect(page.get_by_role("button", name=name)).to_have_count(0)
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        screenshot(page, "14-job-as-viewer")
        page.goto(f"{site.url}/runs/{site.olga_run}/")
        expect(page.get_by_role("button", name="Re-run")).to_have_count(0)

        for path in (
            f"/jobs/{site.etl_job}/run/",
            f"/jobs/{site.etl_job}/disable/",
            f"/jobs/{site.etl_job}/delete/",
            f"/runs/{site.olga_run}/rerun/",
            f"/runs/{site.olga_run}/cancel/",
            "/jobs/new/",
        ):
            assert post_as_page(page, site.url + path) == 403, path
        for path in ("/people/", "/audit/", "/jobs/new/", "/workers/enroll/"):
            assert page.goto(site.url + path).status == 403, path
    assert site.up.query("select enabled from jobs_job where id = ?", site.etl_job)[0]["enabled"]


def test_an_operator_runs_their_groups_job_but_not_someone_elses(site: Site) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        log_in(page, site.url, "otto")
        expect(page.get_by_role("link", name="New job")).to_be_visible()
        expect(
            page.get_by_role("navigation", name="Main").get_by_role("link", name="People")
        ).to_have_count(0)

        # The group's job: run it through the dialog.
        page.goto(f"{site.url}/jobs/{site.etl_job}/")
        page.get_by_role("button", name="Run now").click()
        page.locator("#run-now-dialog").get_by_label("Arguments").fill("by-otto")
        page.locator("#run-now-dialog").get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("#run-state")).to_have_text("Succeeded", timeout=15_000)
        expect(page.locator("#log")).to_contain_text("shared by-otto")

        # The same hand-made request works on the group's job (so the refusals below are
        # the server's role check, not a missing CSRF token).
        assert post_as_page(page, f"{site.url}/jobs/{site.etl_job}/disable/") == 302
        assert post_as_page(page, f"{site.url}/jobs/{site.etl_job}/enable/") == 302

        # Someone else's job: no controls, and the server refuses the requests.
        page.goto(f"{site.url}/jobs/{site.olga_job}/")
        expect(page.get_by_role("heading", name="olga-only")).to_be_visible()
        expect(page.get_by_role("button", name="Run now")).to_have_count(0)
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        for path in (
            f"/jobs/{site.olga_job}/run/",
            f"/jobs/{site.olga_job}/disable/",
            f"/jobs/{site.olga_job}/delete/",
            f"/runs/{site.olga_run}/rerun/",
        ):
            assert post_as_page(page, site.url + path) == 403, path
        assert page.goto(f"{site.url}/jobs/{site.olga_job}/edit/").status == 403
        assert page.goto(f"{site.url}/people/").status == 403
    runs = site.up.query("select count(*) as n from runs_run where job_id = ?", site.olga_job)
    assert runs[0]["n"] == 1


def test_an_admin_manages_people_and_changes_jobs_without_page_reloads(site: Site) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        log_in(page, site.url, "admin", ADMIN_PASSWORD)
        page.get_by_role("link", name="People").click()
        page.get_by_role("link", name="Change").nth(3).click()  # rows: admin, olga, otto, vera
        expect(page.get_by_role("heading", name="User vera")).to_be_visible()
        page.get_by_label("Role").select_option("operator")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("User vera saved.")).to_be_visible()
        expect(page.locator("#users tr", has_text="vera")).to_contain_text("Operator")

        # Routine actions swap parts of the page (htmx); the page itself is never reloaded.
        page.goto(f"{site.url}/jobs/")
        page.evaluate("window.stillHere = true")
        page.get_by_label("Search").fill("olga")
        expect(page.locator("#jobs tbody tr")).to_have_count(1)
        page.get_by_label("Search").fill("")
        page.get_by_label("Owner").select_option("olga")
        expect(page.locator("#jobs tbody tr")).to_have_count(2)
        expect(page).to_have_url(re.compile(r"owner=olga"))
        screenshot(page, "08-jobs-filtered")
        page.get_by_role("link", name="olga-only").click()
        page.evaluate("window.stillHere = true")
        page.get_by_role("button", name="Disable").click()
        expect(page.locator("#job-disabled")).to_be_visible()
        page.get_by_role("button", name="Enable").click()
        expect(page.locator("#job-disabled")).to_have_count(0)
        assert page.evaluate("window.stillHere") is True
        page.get_by_role("button", name="Delete").click()
        expect(page.locator("#delete-dialog")).to_be_visible()
        page.keyboard.press("Escape")  # changed my mind
        expect(page.locator("#delete-dialog")).to_be_hidden()
        page.get_by_role("button", name="Delete").click()
        page.get_by_role("button", name="Delete job").click()
        expect(page).to_have_url(re.compile(r"/jobs/$"))
        expect(page.get_by_text("Job olga-only deleted.")).to_be_visible()

        page.get_by_role("link", name="Audit").click()
        audit = page.locator("#audit")
        for action in ("user.update", "job.disable", "job.enable", "job.delete", "user.create"):
            expect(audit).to_contain_text(action)
        expect(audit.locator("tr", has_text="user.update").first.locator("ins")).to_have_text(
            "operator"
        )


def test_repeated_failed_logins_lock_the_account_with_a_clear_message(site: Site) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        for _ in range(5):
            log_in(page, site.url, "olga", "not her password")
        expect(page.locator("#locked")).to_contain_text(
            "Too many failed logins for olga from this address"
        )
        expect(page.locator("#locked")).to_contain_text("locked for 15 minutes")
        log_in(page, site.url, "olga")  # the right password, too late
        expect(page.locator("#locked")).to_be_visible()
        screenshot(page, "13-login-locked")
    count = "select count(*) as n from accounts_auditevent where action = ?"
    assert site.up.query(count, "user.login_failed")[0]["n"] >= 6
    assert site.up.query(count, "user.locked_out")[0]["n"] >= 1
