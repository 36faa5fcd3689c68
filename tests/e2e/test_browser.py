"""The daily flow in a real browser: log in, create a job, run it, watch its log, edit it,
find the edit in the audit trail, switch to 中文. Screenshots of each main page."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, OctopusUp

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_log_in_create_run_watch_edit_audit_and_switch_to_chinese(octopus_up: OctopusUp) -> None:
    from playwright.sync_api import expect

    with browser_page(timezone_id="Asia/Shanghai") as page:
        # Log in (a wrong password first: a clear message, nothing else).
        page.goto(f"{octopus_up.url}/jobs/")
        expect(page).to_have_url(re.compile(r"/login/"))
        screenshot(page, "01-login")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".error")).to_contain_text("enter a correct username and password")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_label("Password").press("Enter")  # forms submit with Enter
        expect(page.get_by_role("heading", name="Jobs")).to_be_visible()
        expect(page.get_by_text("No jobs yet.")).to_be_visible()

        # Create a job; the form previews the schedule as it is typed.
        page.get_by_role("link", name="New job").click()
        page.get_by_label("Name", exact=True).fill("hello-browser")
        page.get_by_label("Command").fill("for i in 1 2 3; do echo line $i {args}; done")
        page.get_by_label("Tags").fill("demo, daily")
        page.get_by_label("Schedule").fill("61 * * * *")
        expect(page.locator("#schedule-preview")).to_contain_text(
            "Invalid schedule: bad minute field '61'"
        )
        page.get_by_label("Schedule").fill("*/10 * * * * *")
        expect(page.locator("#schedule-preview li")).to_have_count(5)
        screenshot(page, "03-job-form")
        page.get_by_role("button", name="Create job").click()

        # The job page: settings, next firings; "Run now" opens a dialog (Esc closes it).
        expect(page.get_by_role("heading", name="hello-browser")).to_be_visible()
        expect(page.locator("ol.times li")).to_have_count(5)
        page.get_by_role("button", name="Run now").click()
        dialog = page.locator("#run-now-dialog")
        expect(dialog).to_be_visible()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.get_by_role("button", name="Run now").click()
        dialog.get_by_label("Arguments").fill("'unclosed")
        dialog.get_by_role("button", name="Run", exact=True).click()
        expect(dialog).to_contain_text("cannot split the arguments")  # kept open, no reload
        dialog.get_by_label("Arguments").fill("from-the-browser")
        dialog.get_by_role("button", name="Run", exact=True).click()

        # Watch its log arrive on the run page.
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))
        expect(page.locator("#run-state")).to_have_text("Succeeded", timeout=15_000)
        log = page.locator("#log .line .text")
        expect(log).to_have_text([f"line {i} from-the-browser" for i in (1, 2, 3)])
        expect(page.get_by_role("button", name="Re-run")).to_be_visible()
        screenshot(page, "05-run")

        # Edit it.
        page.get_by_role("link", name="hello-browser").click()
        page.get_by_role("link", name="Edit").click()
        page.get_by_label("Command").fill("echo edited {args}")
        screenshot(page, "04-job-form-edit")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("Job hello-browser saved.")).to_be_visible()
        expect(page.locator("code.block").first).to_have_text("echo edited {args}")
        expect(page.locator(".spark rect").first).to_be_visible()
        screenshot(page, "02-job")

        # The edit in the audit trail, before → after, with who and from where.
        page.get_by_role("link", name="Audit").click()
        page.get_by_label("Action").select_option("job.update")
        row = page.locator("#audit tbody tr").first
        expect(row).to_contain_text("admin")
        expect(row).to_contain_text("127.0.0.1")
        expect(row.locator("del")).to_have_text("for i in 1 2 3; do echo line $i {args}; done")
        expect(row.locator("ins")).to_have_text("echo edited {args}")
        page.get_by_label("Action").select_option("")
        expect(page.locator("#audit")).to_contain_text("run.manual")
        screenshot(page, "09-audit")

        # The other main pages.
        page.get_by_role("link", name="Runs").click()
        expect(page.locator("#runs tbody tr").first).to_contain_text("hello-browser")
        screenshot(page, "06-runs")
        page.get_by_role("link", name="Workers").click()
        expect(page.locator("#workers")).to_contain_text("local")
        expect(page.locator("#workers")).to_contain_text("Online")
        screenshot(page, "07-workers")
        page.get_by_role("link", name="Jobs").click()
        expect(page.locator("#jobs")).to_contain_text("hello-browser")
        screenshot(page, "08-jobs")
        page.get_by_role("link", name="People").click()
        expect(page.locator("#users")).to_contain_text("admin")
        screenshot(page, "10-users")
        page.get_by_role("link", name="Dashboard").click()
        expect(page.locator("#stat-workers")).to_contain_text("1")
        expect(page.locator("#total-succeeded")).not_to_have_text("0", timeout=15_000)
        screenshot(page, "00-dashboard")

        # Switch to 中文 from the top bar; the choice is remembered.
        page.get_by_role("button", name="中文").click()
        expect(page.get_by_role("heading", name="概览")).to_be_visible()
        expect(page.get_by_role("link", name="作业", exact=True)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
        screenshot(page, "11-dashboard-zh")
        page.get_by_role("link", name="作业", exact=True).click()
        expect(page.get_by_role("heading", name="作业", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="新建作业")).to_be_visible()
        page.get_by_role("link", name="hello-browser").click()
        expect(page.get_by_role("button", name="立即运行")).to_be_visible()
        screenshot(page, "12-job-zh")
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("button", name="Run now")).to_be_visible()
