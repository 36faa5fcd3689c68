from __future__ import annotations

from octopus.alerts.forms import ChannelForm, url_field


class SlackForm(ChannelForm):
    kind = "slack"
    config_fields = ("url",)

    url = url_field("Incoming webhook URL", "https://hooks.slack.com/services/…")
