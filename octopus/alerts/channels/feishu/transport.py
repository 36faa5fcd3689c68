"""Feishu / Lark custom bot (飞书自定义机器人): a text message to its webhook URL.

With a signing secret, the body carries `timestamp` (seconds, as a string) and `sign` =
base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) — the key is the string to
sign and the message is empty, unlike DingTalk. Feishu answers {"code": 0} on success
(older deployments {"StatusCode": 0}); 19021 is a bad signature or a stale timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from octopus.alerts.messages import Message
from octopus.alerts.transports import HttpTransport, TransportError

PERMANENT_CODES = frozenset({19001})  # the webhook token is invalid


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuTransport(HttpTransport):
    secret_fields = ("url", "secret")

    def notify(self, message: Message) -> None:
        payload: dict = {"msg_type": "text", "content": {"text": message.text}}
        secret = self.config.get("secret")
        if secret:
            timestamp = int(time.time())
            payload = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **payload}
        reply = self.reply(self.post(self.url, self.encode(payload)))
        code = reply.get("code", reply.get("StatusCode", 0))
        if code != 0:
            text = reply.get("msg") or reply.get("StatusMessage") or ""
            raise TransportError(f"Feishu error {code}: {text}", permanent=code in PERMANENT_CODES)
