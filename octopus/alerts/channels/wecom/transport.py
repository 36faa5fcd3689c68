"""WeCom group robot (企业微信群机器人): a markdown or text message to its webhook URL
(https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...). WeCom answers 200 with
{"errcode": 0} on success; 93000 means the webhook key is invalid."""

from __future__ import annotations

from octopus.alerts.channels import markdown as md
from octopus.alerts.messages import Message
from octopus.alerts.transports import HttpTransport, TransportError

MAX_BYTES = 4000  # WeCom rejects markdown content over 4096 bytes, text over 2048
PERMANENT_ERRCODES = frozenset({93000})  # invalid webhook key


def cut(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def markdown(message: Message, limit: int = MAX_BYTES) -> str:
    """Title and lines, cut to `limit` bytes with the link to the alert; what runs and jobs
    said is escaped (see octopus/alerts/channels/markdown.py), the link is Octopus's own and
    is kept whole when the rest is cut."""
    body = "\n".join([f"**{md.title(message)}**", *(f"> {line}" for line in md.lines(message))])
    link = md.link(message)
    if not link:
        return cut(body, limit)
    return cut(body, limit - len(link.encode()) - 1) + "\n" + link


class WeComTransport(HttpTransport):
    secret_fields = ("url",)

    def notify(self, message: Message) -> None:
        if self.config.get("msgtype") == "text":
            mentioned = list(self.config.get("mentioned_mobiles") or [])
            payload = {
                "msgtype": "text",
                "text": {"content": cut(message.text, 2000), "mentioned_mobile_list": mentioned},
            }
        else:
            payload = {
                "msgtype": "markdown",
                "markdown": {"content": markdown(message)},
            }
        reply = self.reply(self.post(self.url, self.encode(payload)))
        code = reply.get("errcode", 0)
        if code != 0:
            raise TransportError(
                f"WeCom error {code}: {reply.get('errmsg', '')}",
                permanent=code in PERMANENT_ERRCODES,
            )
