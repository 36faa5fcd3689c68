"""WeCom group robot: markdown (default) or text with mentions, to its webhook URL."""

from __future__ import annotations

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

OK = (200, b'{"errcode":0,"errmsg":"ok"}')


def test_it_sends_a_markdown_message(make_channel, catcher, make_job, alert_settings) -> None:
    catcher.default = OK
    make_channel("wecom", config={"url": f"{catcher.url}/cgi-bin/webhook/send?key=k1"})
    rules.raise_alert("run_failed", job=make_job("etl"), title="etl failed", detail="Run #3: boom")
    sender.run_once()
    (request,) = catcher.requests
    assert (request.path, request.query) == ("/cgi-bin/webhook/send", {"key": "k1"})
    body = request.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**[Octopus] etl failed**\n")
    assert "> Run #3: boom" in content
    assert Delivery.objects.get().status == "sent"


def test_a_text_message_mentions_people(make_channel, catcher, make_job) -> None:
    catcher.default = OK
    make_channel(
        "wecom",
        config={"url": catcher.url, "msgtype": "text", "mentioned_mobiles": ["13800000000"]},
    )
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    body = catcher.requests[0].json()
    assert body["msgtype"] == "text"
    assert body["text"]["mentioned_mobile_list"] == ["13800000000"]
    assert body["text"]["content"].startswith("[Octopus] failed")


def test_a_long_message_is_cut_to_what_wecom_accepts(make_channel, catcher, make_job) -> None:
    catcher.default = OK
    make_channel("wecom", config={"url": catcher.url})
    rules.raise_alert("log_level", job=make_job(), title="x", detail="错误" * 3000)
    sender.run_once()
    content = catcher.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= 4096


def test_an_invalid_key_is_permanent(make_channel, catcher, make_job) -> None:
    catcher.default = (200, b'{"errcode":93000,"errmsg":"invalid webhook url"}')
    channel = make_channel("wecom", config={"url": catcher.url})
    rules.raise_alert("run_failed", job=make_job(), title="failed")
    sender.run_once()
    assert Delivery.objects.get().status == "failed"
    channel.refresh_from_db()
    assert not channel.enabled


def test_markdown_from_a_run_arrives_as_text_and_only_octopus_links(
    make_channel, catcher, make_job, make_worker, alert_settings
) -> None:
    catcher.default = OK
    make_channel("wecom", config={"url": catcher.url})
    job = make_job("etl", alert_level="error")
    alert_on_hostile_output(job, make_worker())
    sender.run_once()
    sent = [request.json()["markdown"]["content"] for request in catcher.requests]
    for alert in Alert.objects.all():
        word = "failed" if alert.kind == "run_failed" else "logged"
        (content,) = [text for text in sent if text.startswith(f"**[Octopus] etl {word}")]
        assert links(content) == [("Open in Octopus", f"http://octopus.test/alerts/{alert.pk}/")]
        assert html_and_blocks(content, bold_title=True) == set(), content
    assert any(
        text.startswith("**[Octopus] etl failed: \\[Help\\]\\(http://evil.example/\\)**\n")
        for text in sent
    )
    assert any("\\<@zhangsan\\>" in text and "\\<font" in text for text in sent)


def test_a_line_break_in_a_reason_cannot_start_a_block(make_channel, catcher, make_job) -> None:
    catcher.default = OK
    make_channel("wecom", config={"url": catcher.url})
    rules.raise_alert("run_failed", job=make_job(), title="failed", detail=HOSTILE)
    sender.run_once()
    content = catcher.requests[0].json()["markdown"]["content"]
    assert links(content) == [] and html_and_blocks(content, bold_title=True) == set(), content


def test_a_message_cut_to_size_keeps_the_link_to_octopus(
    make_channel, catcher, make_job, alert_settings
) -> None:
    catcher.default = OK
    make_channel("wecom", config={"url": catcher.url})
    # 1000 characters of detail (messages.DETAIL_LIMIT) of 4 bytes each: over WeCom's limit.
    rules.raise_alert("log_level", job=make_job(), title="x", detail="🐙" * 3000)
    sender.run_once()
    content = catcher.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= 4096
    alert = Alert.objects.get()
    assert content.endswith(f"…\n[Open in Octopus](http://octopus.test/alerts/{alert.pk}/)")
    assert links(content) == [("Open in Octopus", f"http://octopus.test/alerts/{alert.pk}/")]
