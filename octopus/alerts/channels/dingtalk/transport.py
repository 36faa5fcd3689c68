"""DingTalk group robot (钉钉自定义机器人): a markdown message to its webhook URL.

With a signing secret ("加签", starts with SEC), the URL gets `timestamp` (ms) and `sign`
query parameters: sign = urlencode(base64(HMAC-SHA256(key=secret,
msg=f"{timestamp}\\n{secret}"))). DingTalk answers 200 with {"errcode": 0} on success and a
non-zero errcode otherwise (e.g. 310000: bad signature, missing keyword, or IP not allowed).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from octopus.alerts.channels import markdown as md
from octopus.alerts.messages import Message
from octopus.alerts.transports import HttpTransport, TransportError

# errcodes after which trying again cannot help: the robot's token is wrong or gone.
PERMANENT_ERRCODES = frozenset({300001})  # "token is not exist"


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, already URL-encoded for the query string."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def markdown(message: Message) -> str:
    """Title, lines and the link to the alert; what runs and jobs said is escaped (see
    octopus/alerts/channels/markdown.py), the link is Octopus's own."""
    parts = [f"#### {md.title(message)}", "", *(f"- {line}" for line in md.lines(message))]
    if message.url:
        parts += ["", md.link(message)]
    return "\n".join(parts)


class DingTalkTransport(HttpTransport):
    secret_fields = ("url", "secret")

    def notify(self, message: Message) -> None:
        url = self.url
        secret = self.config.get("secret")
        if secret:
            timestamp = int(time.time() * 1000)
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}timestamp={timestamp}&sign={sign(secret, timestamp)}"
        body = self.encode(
            # The title is the chat list's plain-text preview; only `text` is markdown.
            {"msgtype": "markdown", "markdown": {"title": message.title, "text": markdown(message)}}
        )
        reply = self.reply(self.post(url, body))
        code = reply.get("errcode", 0)
        if code != 0:
            raise TransportError(
                f"DingTalk error {code}: {reply.get('errmsg', '')}",
                permanent=code in PERMANENT_ERRCODES,
            )
