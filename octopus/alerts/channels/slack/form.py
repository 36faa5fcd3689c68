from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import ChannelForm, url_field


class SlackForm(ChannelForm):
    kind = "slack"
    config_fields = ("url",)

    url = url_field(_("Incoming webhook URL"), "https://hooks.slack.com/services/…")
