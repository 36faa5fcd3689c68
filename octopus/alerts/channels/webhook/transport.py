"""A generic webhook: the message as JSON, POSTed to a URL.

With a shared secret, the header `X-Octopus-Signature-256: sha256=<hex>` carries the
HMAC-SHA256 of the exact body bytes under that secret; the receiver recomputes it and
compares in constant time. The body carries `sent_at`, so a replay can be spotted.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from octopus.alerts.messages import Message
from octopus.alerts.transports import HttpTransport

SIGNATURE_HEADER = "X-Octopus-Signature-256"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookTransport(HttpTransport):
    secret_fields = ("url", "secret")

    def notify(self, message: Message) -> None:
        body = self.encode(
            {
                "event": message.event,
                "title": message.title,
                "text": message.text,
                "url": message.url,
                "alert": message.alert,
                "sent_at": int(time.time()),
                **message.extra,
            }
        )
        headers = {"X-Octopus-Event": message.event}
        secret = self.config.get("secret")
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        self.post(self.url, body, headers)
