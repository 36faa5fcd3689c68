"""The run page in a real browser: lines appear live; level filter, search, colours."""

from __future__ import annotations

import re

import pytest

from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, Browserless, OctopusUp

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# A line every 200 ms: every fifth an error in the original format, one in colour, one
# that looks like HTML.
TICKER = """python3 -u -c '
import time
print("\\033[31mred\\033[0m and \\033[1;32mbold green\\033[0m <b>not bold</b>")
for i in range(1, 41):
    level = "error" if i % 5 == 0 else "info"
    print(time.strftime("%Y/%m/%d:%H:%M:%S"), "ticker", level, "tick", i)
    time.sleep(0.2)
'"""


def test_lines_appear_live_and_can_be_filtered_and_searched(octopus_up: OctopusUp) -> None:
    from playwright.sync_api import expect

    ui = Browserless(octopus_up.url)
    ui.login()
    created = ui.create_job(name="ticker", command=TICKER)
    job_id = int(re.search(r"/jobs/(\d+)/", str(created.url)).group(1))

    with browser_page() as page:
        page.goto(f"{octopus_up.url}/login/")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.goto(f"{octopus_up.url}/jobs/{job_id}/")
        page.get_by_role("button", name="Run now").click()  # opens the run-now dialog
        page.locator("#run-now-dialog").get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/runs/\d+/$"))

        log = page.locator("#log")
        lines = log.locator(".line")
        expect(lines.first).to_be_visible(timeout=15_000)
        expect(page.locator("#run-state")).to_have_text("Running")
        for _ in range(3):  # more lines keep coming while it runs
            seen = lines.count()
            page.wait_for_function(
                "n => document.querySelectorAll('#log .line').length > n", arg=seen
            )
        expect(page.locator("#run-state")).to_have_text("Running")

        colour = log.locator(".line").first.locator(".text")
        expect(colour.locator("span.ansi-fg1")).to_have_text("red")
        expect(colour.locator("span.ansi-fg2.ansi-bold")).to_have_text("bold green")
        expect(colour).to_contain_text("<b>not bold</b>")  # text, not markup

        page.get_by_label("Level").select_option("error")
        visible = log.locator(".line:visible")
        expect(visible.first).to_contain_text("ticker error tick 5")
        classes = visible.evaluate_all("lines => lines.map(line => line.className)")
        assert classes and all("lvl-error" in c for c in classes), classes
        page.get_by_label("Level").select_option("all")

        page.get_by_label("Search in this log").fill("tick 1")
        expect(page.locator("#log-matches")).to_contain_text("matching line")
        for text in log.locator(".line:visible .text").all_inner_texts():
            assert "tick 1" in text
        screenshot(page, "logs-01-live-search")
        page.get_by_label("Search in this log").fill("")

        expect(page.locator("#run-state")).to_have_text("Succeeded", timeout=30_000)
        expect(lines).to_have_count(41)
        expect(page.locator("#log-status")).to_contain_text("complete")
        expect(page.locator("#run-summary")).to_contain_text("41 lines", timeout=10_000)
        screenshot(page, "logs-02-run-complete")

        page.get_by_role("link", name="Logs").click()
        page.get_by_label("Text").fill("tick")
        page.get_by_label("Level").select_option("error")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("#hits tbody tr")).to_have_count(8)
        expect(page.locator("#hits mark").first).to_have_text("tick")
        screenshot(page, "logs-03-search")
        page.locator("#hits tr", has_text="tick 40").get_by_role("link", name="line").click()
        expect(page.locator("#log .line.target")).to_contain_text("tick 40")

        # Following a job: its runs one after the other, in one log.
        created = ui.create_job(
            name="short", command="for i in 1 2 3; do echo run $i; sleep 0.2; done"
        )
        short = int(re.search(r"/jobs/(\d+)/", str(created.url)).group(1))
        page.goto(f"{octopus_up.url}/jobs/{short}/live/")
        expect(page.locator("#log-status")).to_contain_text("live")
        ui.run_now(short)
        expect(page.locator("#log .line")).to_have_count(3, timeout=15_000)
        expect(page.locator("#log-status")).to_contain_text("waiting for the next run")
        ui.run_now(short)
        # One divider per run followed: the first run's, then the second's.
        dividers = page.locator("#log .gap.next-run")
        expect(dividers).to_have_count(2, timeout=15_000)
        expect(dividers.last).to_contain_text("run #")
        expect(page.locator("#log .line")).to_have_count(6, timeout=15_000)
        expect(page.locator("#run-link")).to_have_attribute("href", re.compile(r"/runs/\d+/"))
        screenshot(page, "logs-04-follow-job")
