"""DingTalk robot: a markdown message; with a signing secret, `timestamp` and `sign` in the
query string per DingTalk's algorithm, recomputed here from its documentation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from octopus.alerts import rules, sender
from octopus.alerts.models import Alert, Delivery
from tests.alerts.channels.markdown_checks import (
    HOSTILE,
    alert_on_hostile_output,
    html_and_blocks,
    links,
)

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef"  # as DingTalk shows it


def dingtalk_sign(timestamp: str, secret: str) -> str:
    # Documented: HmacSHA256 with the secret as key over "timestamp\nsecret", Base64, then
    # URL-encoded (the catcher has already decoded the query string).
    string_to_sign = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(
        hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    ).decode()


@pytest.fixture
def robot(make_channel, catcher):
    catcher.default = (200, b'{"errcode":0,"errmsg":"ok"}')
    return make_channel(
        "dingtalk",
        config={"url": f"{catcher.url}/robot/send?access_token=tok123", "secret": SECRET},
    )


def test_it_sends_a_signed_markdown_message(robot, catcher, make_job, alert_settings) -> None:
    rules.raise_alert(
        "run_failed", job=make_job("etl"), title="etl failed: exit code 1", detail="Run #1: x"
    )
    sender.run_once()
    (request,) = catcher.requests
    assert request.path == "/robot/send"
    assert request.query["access_token"] == "tok123"
    timestamp = request.query["timestamp"]
    assert abs(int(timestamp) / 1000 - time.time()) < 60  # milliseconds
    assert request.query["sign"] == dingtalk_sign(timestamp, SECRET)
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "[Octopus] etl failed: exit code 1"
    assert body["markdown"]["text"].startswith("#### [Octopus] etl failed: exit code 1\n")
    assert "- Run #1: x" in body["markdown"]["text"]
    assert Delivery.objects.get().status == "sent"


def test_an_error_code_in_the_reply_is_a_failure(robot, catcher, make_job) -> None:
    catcher.script = [(200, b'{"errcode":310000,"errmsg":"sign not match"}')]
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.last_error) == (
        "pending",
        "DingTalk error 310000: sign not match",
    )


def test_without_a_secret_the_url_is_used_as_is(make_channel, catcher, make_job) -> None:
    catcher.default = (200, b'{"errcode":0,"errmsg":"ok"}')
    make_channel("dingtalk", config={"url": f"{catcher.url}/robot/send?access_token=t"})
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    assert catcher.requests[0].query == {"access_token": "t"}


def test_markdown_from_a_run_arrives_as_text_and_only_octopus_links(
    make_channel, catcher, make_job, make_worker, alert_settings
) -> None:
    catcher.default = (200, b'{"errcode":0,"errmsg":"ok"}')
    make_channel("dingtalk", config={"url": f"{catcher.url}/robot/send?access_token=t"})
    job = make_job("etl", alert_level="error")
    alert_on_hostile_output(job, make_worker())
    sender.run_once()
    sent = {request.json()["markdown"]["title"]: request.json() for request in catcher.requests}
    for alert in Alert.objects.all():
        text = sent[f"[Octopus] {alert.title}"]["markdown"]["text"]
        assert links(text) == [("Open in Octopus", f"http://octopus.test/alerts/{alert.pk}/")]
        assert html_and_blocks(text) == set(), text
    failed = sent["[Octopus] etl failed: [Help](http://evil.example/)"]["markdown"]["text"]
    assert failed.startswith("#### [Octopus] etl failed: \\[Help\\]\\(http://evil.example/\\)\n")
    logged = sent["[Octopus] etl logged error lines"]["markdown"]["text"]
    assert "\\[Reset your password\\]\\(http://evil.example/reset\\)" in logged


def test_a_line_break_in_a_reason_cannot_start_a_block(make_channel, catcher, make_job) -> None:
    catcher.default = (200, b'{"errcode":0,"errmsg":"ok"}')
    make_channel("dingtalk", config={"url": f"{catcher.url}/robot/send?access_token=t"})
    rules.raise_alert("run_failed", job=make_job(), title="failed", detail=HOSTILE)
    sender.run_once()
    text = catcher.requests[0].json()["markdown"]["text"]
    assert links(text) == [] and html_and_blocks(text) == set(), text
