"""The base of every channel kind's settings form: the common fields, the secrets kept
when left blank, and the fields kinds share (URLs, e-mail addresses)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext_lazy as _

from octopus.alerts.models import Channel
from octopus.alerts.transports import transport_class

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise  # a name of django-stubs only


def url_field(label: _StrOrPromise, help_text: _StrOrPromise = "") -> forms.URLField:
    return forms.URLField(
        label=label,
        max_length=1000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=help_text,
        widget=forms.URLInput(attrs={"autocomplete": "off", "class": "mono"}),
    )


def split_addresses(text: str) -> list[str]:
    return [a for a in re.split(r"[,;\s]+", text) if a]


class ChannelForm(forms.Form):
    """Base of each kind's form: the common fields, plus `config_fields` stored in
    Channel.config. Secrets (the transport's secret_fields) are never rendered back: left
    blank when editing, the stored value is kept."""

    kind = ""
    config_fields: tuple[str, ...] = ()

    name = forms.CharField(label=_("Name"), max_length=100)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    is_default = forms.BooleanField(
        required=False,
        label=_("Default channel"),
        help_text=_("Gets the alerts of jobs without their own routing, and worker alerts."),
    )

    def __init__(self, data: Any = None, *, channel: Channel | None = None) -> None:
        self.channel = channel
        self.secret_fields = transport_class(self.kind).secret_fields
        initial: dict[str, Any] = {}
        if channel is not None:
            initial = {
                "name": channel.name,
                "enabled": channel.enabled,
                "is_default": channel.is_default,
                **self.initial_config(channel.config),
            }
        super().__init__(data, initial=initial)
        for name in self.secret_fields:
            field = self.fields[name]
            stored = channel.config.get(name) if channel is not None else None
            field.widget.attrs["autocomplete"] = "off"
            if stored:
                shown = transport_class(self.kind).masked(name, stored)
                what = (
                    _("Set to %(shown)s") % {"shown": shown}
                    if name == "url"
                    else _("A secret is set")
                )
                field.required = False
                field.help_text = _("%(what)s. Leave blank to keep it. %(help)s") % {
                    "what": what,
                    "help": field.help_text,
                }
                if not self.base_fields[name].required:
                    self.fields[f"clear_{name}"] = forms.BooleanField(
                        required=False,
                        label=_("Remove the %(field)s") % {"field": str(field.label).lower()},
                    )

    def initial_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Initial form values from a stored config (secrets left out)."""
        return {k: v for k, v in config.items() if k not in self.secret_fields}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Channel.objects.filter(name=name)
        if self.channel is not None:
            clash = clash.exclude(pk=self.channel.pk)
        if clash.exists():
            raise forms.ValidationError(_("A channel with this name exists already."))
        return name

    def config(self) -> dict[str, Any]:
        old = self.channel.config if self.channel is not None else {}
        config: dict[str, Any] = {}
        for name in self.config_fields:
            value = self.cleaned_data.get(name)
            if name in self.secret_fields:
                if self.cleaned_data.get(f"clear_{name}"):
                    value = ""
                elif not value:
                    value = old.get(name, "")
            config[name] = value
        return config

    def save(self) -> Channel:
        channel = self.channel or Channel(kind=self.kind)
        channel.name = self.cleaned_data["name"]
        channel.enabled = self.cleaned_data["enabled"]
        channel.is_default = self.cleaned_data["is_default"]
        channel.config = self.config()
        if channel.enabled:
            channel.last_error = ""  # re-enabled or edited: start with a clean slate
        channel.save()
        return channel


class AddressesField(forms.CharField):
    """E-mail addresses separated by commas or spaces, each checked."""

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        addresses = split_addresses(text or "")
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("%(address)s is not an e-mail address.") % {"address": repr(address)}
                ) from None
        if self.required and not addresses:
            raise forms.ValidationError(_("At least one address."))
        return addresses
