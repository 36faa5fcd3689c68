from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import ChannelForm, url_field


class WeComForm(ChannelForm):
    kind = "wecom"
    config_fields = ("url", "msgtype", "mentioned_mobiles")

    url = url_field(
        _("Group robot webhook URL"), "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
    )
    msgtype = forms.ChoiceField(
        label=_("Message type"), choices=[("markdown", "Markdown"), ("text", _("Text"))]
    )
    mentioned_mobiles = forms.CharField(
        label=_("Mention (mobile numbers)"),
        required=False,
        help_text=_("Text messages only; separated by commas; @all for everyone."),
    )

    def initial_config(self, config: dict[str, Any]) -> dict[str, Any]:
        initial = super().initial_config(config)
        initial["mentioned_mobiles"] = ", ".join(config.get("mentioned_mobiles", []))
        return initial

    def clean_mentioned_mobiles(self) -> list[str]:
        text = self.cleaned_data.get("mentioned_mobiles", "")
        return [m.strip() for m in text.replace(";", ",").split(",") if m.strip()]
