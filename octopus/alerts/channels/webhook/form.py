from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import ChannelForm, url_field


class WebhookForm(ChannelForm):
    kind = "webhook"
    config_fields = ("url", "secret")

    url = url_field("URL", _("Octopus POSTs each notification there as JSON."))
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Optional: the header X-Octopus-Signature-256 then carries "
            "sha256=HMAC-SHA256(secret, body)."
        ),
    )
