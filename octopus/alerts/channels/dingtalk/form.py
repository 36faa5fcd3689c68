from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import ChannelForm, url_field


class DingTalkForm(ChannelForm):
    kind = "dingtalk"
    config_fields = ("url", "secret")

    url = url_field(
        _("Robot webhook URL"),
        _(
            "https://oapi.dingtalk.com/robot/send?access_token=… If the robot checks keywords, "
            "add the keyword Octopus: every message title starts with [Octopus]."
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The robot's 加签 secret (starts with SEC), if it has one."),
    )
