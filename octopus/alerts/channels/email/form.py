from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from octopus.alerts.channels.form import AddressesField, ChannelForm


class EmailForm(ChannelForm):
    kind = "email"
    config_fields = (
        "to",
        "from_address",
        "smtp_host",
        "smtp_port",
        "smtp_security",
        "smtp_username",
        "smtp_password",
    )

    to = AddressesField(label=_("To"), help_text=_("One or more addresses, separated by commas."))
    from_address = forms.EmailField(
        label=_("From"), required=False, help_text=_("Empty: the server's OCTOPUS_EMAIL_FROM.")
    )
    smtp_host = forms.CharField(
        label=_("SMTP host"),
        required=False,
        max_length=255,
        help_text=_("Empty: the server's SMTP settings (OCTOPUS_SMTP_*)."),
    )
    smtp_port = forms.IntegerField(
        label=_("SMTP port"), required=False, min_value=1, max_value=65535
    )
    smtp_security = forms.ChoiceField(
        label=_("Security"),
        choices=[("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None")],
        initial="starttls",
    )
    smtp_username = forms.CharField(label=_("SMTP user"), required=False, max_length=255)
    smtp_password = forms.CharField(
        label=_("SMTP password"), required=False, widget=forms.PasswordInput(render_value=False)
    )

    def initial_config(self, config: dict[str, Any]) -> dict[str, Any]:
        initial = super().initial_config(config)
        initial["to"] = ", ".join(config.get("to", []))
        return initial
