"""A new user in a real browser: log in, create a job, run it, watch its log."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, OctopusUp

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_log_in_create_a_job_run_it_and_read_its_log(octopus_up: OctopusUp) -> None:
    from playwright.sync_api import expect

    with browser_page(timezone_id="Asia/Shanghai") as page:
        page.goto(f"{octopus_up.url}/jobs/")
        expect(page).to_have_url(re.compile(r"/login/"))
        screenshot(page, "01-login")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".error")).to_contain_text("enter a correct username and password")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
        expect(page.get_by_text("No jobs yet.")).to_be_visible()

        page.get_by_role("link", name="New job").click()
        page.get_by_label("Name").fill("hello-browser")
        page.get_by_label("Command").fill("for i in 1 2 3; do echo line $i {args}; done")
        page.get_by_label("Schedule").fill("61 * * * *")
        expect(page.locator("#schedule-preview")).to_contain_text(
            "Invalid schedule: bad minute field '61'"
        )
        page.get_by_label("Schedule").fill("*/10 * * * * *")
        expect(page.locator("#schedule-preview li")).to_have_count(5)
        screenshot(page, "02-job-form")
        page.get_by_role("button", name="Create job").click()

        expect(page.get_by_role("heading", name="hello-browser")).to_be_visible()
        expect(page.locator("ol.times li")).to_have_count(5)
        page.get_by_label("Temporary arguments").fill("from-the-browser")
        page.get_by_role("button", name="Run now").click()

        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("#run-state")).to_have_text("Succeeded", timeout=15_000)
        log = page.locator("#log .line .text")
        expect(log).to_have_text([f"line {i} from-the-browser" for i in (1, 2, 3)])
        screenshot(page, "03-run")

        page.get_by_role("link", name="Runs").click()
        expect(page.locator("#runs tbody tr").first).to_contain_text("hello-browser")
        screenshot(page, "04-runs")
        page.get_by_role("link", name="Workers").click()
        expect(page.locator("#workers")).to_contain_text("local")
        expect(page.locator("#workers")).to_contain_text("Online")
        screenshot(page, "05-workers")
        page.get_by_role("link", name="Jobs").click()
        expect(page.locator("table.grid")).to_contain_text("hello-browser")
        screenshot(page, "06-jobs")
