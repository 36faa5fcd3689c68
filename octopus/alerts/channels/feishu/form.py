from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import ChannelForm, url_field


class FeishuForm(ChannelForm):
    kind = "feishu"
    config_fields = ("url", "secret")

    url = url_field(
        _("Bot webhook URL"),
        "https://open.feishu.cn/open-apis/bot/v2/hook/… (Lark: open.larksuite.com)",
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The bot's signature verification secret (签名校验), if it has one."),
    )
