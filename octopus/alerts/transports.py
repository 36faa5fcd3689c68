"""Notification transports: one plug-in per channel kind, found through a registry.

Each kind has a folder under octopus/alerts/channels/<kind>/ with `transport.py` (how to
send) and `form.py` (what an admin types). A transport turns a Message into one request
and raises TransportError when it could not deliver; the sender loop decides about
retries, so transports never retry on their own.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.utils.module_loading import import_string

from octopus.alerts.messages import Message

TRANSPORTS = {
    "email": "octopus.alerts.channels.email.transport.EmailTransport",
    "webhook": "octopus.alerts.channels.webhook.transport.WebhookTransport",
    "dingtalk": "octopus.alerts.channels.dingtalk.transport.DingTalkTransport",
    "wecom": "octopus.alerts.channels.wecom.transport.WeComTransport",
    "feishu": "octopus.alerts.channels.feishu.transport.FeishuTransport",
    "slack": "octopus.alerts.channels.slack.transport.SlackTransport",
}
FORMS = {
    "email": "octopus.alerts.channels.email.form.EmailForm",
    "webhook": "octopus.alerts.channels.webhook.form.WebhookForm",
    "dingtalk": "octopus.alerts.channels.dingtalk.form.DingTalkForm",
    "wecom": "octopus.alerts.channels.wecom.form.WeComForm",
    "feishu": "octopus.alerts.channels.feishu.form.FeishuForm",
    "slack": "octopus.alerts.channels.slack.form.SlackForm",
}

HTTP_TIMEOUT = 10.0  # seconds, per request
USER_AGENT = "Octopus-Alerts/1"
# Retrying cannot help: the address is gone or the credentials are refused.
PERMANENT_STATUS = frozenset({401, 403, 404, 410})


class TransportError(Exception):
    """A notification could not be delivered. `permanent` when trying again cannot help."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class Transport:
    """Base of all transports. `config` is the channel's config dict."""

    # Config keys that are secrets: never shown again, never audited.
    secret_fields: tuple[str, ...] = ()

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config

    def notify(self, message: Message) -> None:
        """Send the message. Raise TransportError on error, return None on success."""
        raise NotImplementedError

    def is_noop(self, message: Message) -> bool:
        """True when this channel has nothing to send for the message."""
        return False

    @classmethod
    def masked(cls, name: str, value: Any) -> str:
        """How a secret config value is shown: URLs keep their host, others a mark."""
        if not value:
            return ""
        if name == "url":
            return mask_url(str(value))
        return "(set)"


def mask_url(url: str) -> str:
    """Scheme, host and the last 4 characters: enough to tell two hooks apart, while the
    token in the path or query stays hidden."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}"


class HttpTransport(Transport):
    """A transport that POSTs JSON to a URL."""

    @property
    def url(self) -> str:
        url = self.config.get("url")
        if not url:
            raise TransportError("no URL configured", permanent=True)
        return str(url)

    def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST the body; return the response. Raise TransportError on a transport error
        or a non-2xx status (permanent for 401/403/404/410)."""
        try:
            response = httpx.post(
                url,
                content=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    **(headers or {}),
                },
                timeout=HTTP_TIMEOUT,
                follow_redirects=False,
            )
        except httpx.TimeoutException:
            raise TransportError(f"no answer within {HTTP_TIMEOUT:.0f} s") from None
        except httpx.HTTPError as exc:
            raise TransportError(f"could not connect: {exc}") from None
        if not 200 <= response.status_code < 300:
            text = response.text[:200].strip()
            raise TransportError(
                f"HTTP {response.status_code}" + (f": {text}" if text else ""),
                permanent=response.status_code in PERMANENT_STATUS,
            )
        return response

    @staticmethod
    def encode(data: dict[str, Any]) -> bytes:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    @staticmethod
    def reply(response: httpx.Response) -> dict[str, Any]:
        """The JSON reply of a chat robot (they answer 200 with an error code inside)."""
        try:
            data = response.json()
        except ValueError:
            raise TransportError(f"unexpected reply: {response.text[:200]}") from None
        if not isinstance(data, dict):
            raise TransportError(f"unexpected reply: {response.text[:200]}")
        return data


def transport_class(kind: str) -> type[Transport]:
    try:
        return import_string(TRANSPORTS[kind])
    except KeyError:
        raise ValueError(f"unknown channel kind {kind!r}") from None


def form_class(kind: str) -> type:
    try:
        return import_string(FORMS[kind])
    except KeyError:
        raise ValueError(f"unknown channel kind {kind!r}") from None
