"""An admin in a real browser: add a webhook channel, send a test, watch a failing job's
alert count grow, acknowledge it with the htmx button."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.alerts.catcher import HttpCatcher
from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, OctopusUp, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def catcher() -> Iterator[HttpCatcher]:
    server = HttpCatcher().start()
    yield server
    server.stop()


def test_set_up_a_channel_test_it_and_acknowledge_an_alert(
    octopus_up: OctopusUp, catcher: HttpCatcher
) -> None:
    from playwright.sync_api import expect

    with browser_page() as page:
        page.goto(f"{octopus_up.url}/login/")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()

        page.get_by_role("link", name="Alerts", exact=True).click()
        expect(page.locator("#alerts")).to_contain_text("No alerts.")
        page.get_by_role("link", name="Channels").click()
        page.get_by_role("link", name="Webhook").click()
        page.get_by_label("Name").fill("catcher")
        page.get_by_label("URL").fill("not a url")
        page.get_by_role("button", name="Add channel").click()
        expect(page.locator(".field.invalid")).to_contain_text("Enter a valid URL.")
        page.get_by_label("URL").fill(f"{catcher.url}/hook/secret-token")
        page.get_by_label("Signing secret").fill("browser-secret")
        page.get_by_label("Default channel").check()
        page.get_by_role("button", name="Add channel").click()
        expect(page.locator(".msg.success")).to_contain_text("Channel catcher added.")
        expect(page.locator("body")).not_to_contain_text("secret-token")

        page.get_by_role("button", name="Send test").click()
        expect(page.locator("#test-status")).to_contain_text("Test message sent", timeout=15_000)
        (request,) = catcher.requests
        assert request.json()["event"] == "test"
        screenshot(page, "alerts-01-channel")

        # The alerts page is open before anything fails; the job is made in a second tab.
        page.get_by_role("link", name=re.compile("Alerts")).click()
        expect(page.locator("#open-alert-count")).to_be_hidden()
        other = page.context.new_page()
        other.goto(f"{octopus_up.url}/jobs/new/")
        other.get_by_label("Name").fill("always-fails")
        other.get_by_label("Command").fill("echo nope; exit 4")
        other.get_by_label("Schedule").fill("*/2 * * * * *")
        other.get_by_role("button", name="Create job").click()
        expect(other.get_by_role("heading", name="always-fails")).to_be_visible()
        other.close()
        row = page.locator("#alerts tbody tr").first
        expect(row).to_contain_text("always-fails failed: exit code 4", timeout=15_000)
        # The list refreshes itself: the count grows while the job keeps failing, and the
        # open counts in the heading and the nav follow (the page was loaded before any).
        expect(row.locator(".count")).to_have_text(re.compile(r"^[3-9]|\d\d"), timeout=20_000)
        expect(page.locator("#alert-counts")).to_have_text("1 open · 0 acknowledged")
        expect(page.locator("#open-alert-count")).to_be_visible()
        expect(page.locator("#open-alert-count")).to_have_text("1")
        screenshot(page, "alerts-02-list")
        row.get_by_role("button", name="Acknowledge").click()
        expect(row).to_contain_text("Acknowledged")
        expect(row).to_contain_text("by admin")
        wait_until(
            lambda: any(r.json()["event"] == "opened" for r in catcher.requests),
            10,
            what="the alert's first message",
        )
        row.get_by_role("link").first.click()
        expect(page.locator("#deliveries")).to_contain_text("Sent")
        screenshot(page, "alerts-03-detail")
