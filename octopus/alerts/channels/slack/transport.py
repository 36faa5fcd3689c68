"""Slack incoming webhook: {"text": ...} POSTed to the hook URL. Slack answers 200 "ok";
404 no_service / 410 channel_is_archived / 403 invalid_token mean the hook is gone
(permanent, see HttpTransport)."""

from __future__ import annotations

from octopus.alerts.messages import Message
from octopus.alerts.transports import HttpTransport


def escape(text: str) -> str:
    # The three characters Slack's mrkdwn asks senders to escape.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(message: Message) -> str:
    parts = [f"*{escape(message.title)}*", *(escape(line) for line in message.lines)]
    if message.url:
        parts.append(f"<{message.url}|Open in Octopus>")
    return "\n".join(parts)


class SlackTransport(HttpTransport):
    secret_fields = ("url",)

    def notify(self, message: Message) -> None:
        self.post(self.url, self.encode({"text": mrkdwn(message)}))
