"""A person makes an API token in a real browser, a script uses it, the person revokes it."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.browser import browser_page, screenshot
from tests.e2e.octopus_process import ADMIN_PASSWORD, OctopusUp

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


def test_make_use_and_revoke_a_token(octopus_up: OctopusUp) -> None:
    from playwright.sync_api import expect

    def me(token: str) -> httpx.Response:
        return httpx.get(
            f"{octopus_up.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    with browser_page() as page:
        page.goto(f"{octopus_up.url}/login/")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="API tokens").click()
        expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
        expect(page.get_by_text("No tokens yet.")).to_be_visible()
        page.get_by_label("Name").fill("laptop CLI")
        page.get_by_role("button", name="Create token").click()
        token = page.locator("#new-token").inner_text().strip()
        expect(page.locator("#tokens")).to_contain_text(token[:12])
        screenshot(page, "10-api-token-created")
        assert me(token).json() == {"username": "admin", "role": "admin"}

        page.reload()  # shown once: not on the page any more
        expect(page.locator("#new-token")).to_have_count(0)
        page.get_by_role("button", name="Revoke laptop CLI").click()
        expect(page.get_by_text("Token “laptop CLI” revoked.")).to_be_visible()
        expect(page.locator("#tokens")).to_contain_text("revoked")
        screenshot(page, "11-api-token-revoked")
    refused = me(token)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid or revoked API token"
