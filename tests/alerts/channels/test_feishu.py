"""Feishu / Lark bot: a text message; with a signing secret, `timestamp` and `sign` in the
body per Feishu's algorithm (HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty
message), recomputed here from its documentation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from octopus.alerts import rules, sender
from octopus.alerts.models import Delivery

pytestmark = pytest.mark.django_db


def feishu_sign(timestamp: str, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@pytest.fixture
def bot(make_channel, catcher):
    catcher.default = (200, b'{"code":0,"msg":"success","data":{}}')
    return make_channel(
        "feishu", config={"url": f"{catcher.url}/open-apis/bot/v2/hook/abc", "secret": "fs-secret"}
    )


def test_it_sends_a_signed_text_message(bot, catcher, make_job, alert_settings) -> None:
    rules.raise_alert("run_failed", job=make_job("etl"), title="etl failed: exit code 1")
    sender.run_once()
    (request,) = catcher.requests
    assert request.path == "/open-apis/bot/v2/hook/abc"
    body = request.json()
    assert abs(int(body["timestamp"]) - time.time()) < 60  # seconds, as a string
    assert body["sign"] == feishu_sign(body["timestamp"], "fs-secret")
    assert body["msg_type"] == "text"
    assert body["content"]["text"].startswith("[Octopus] etl failed: exit code 1\n")
    assert Delivery.objects.get().status == "sent"


def test_an_error_code_in_the_reply_is_a_failure(bot, catcher, make_job) -> None:
    reply = b'{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}'
    catcher.script = [(200, reply)]
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    delivery = Delivery.objects.get()
    assert delivery.status == "pending"
    assert delivery.last_error.startswith("Feishu error 19021: sign match fail")
