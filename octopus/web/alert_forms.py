"""What operators type on the alert pages: a job's alert recipients, the alerts filter.
(Each channel kind's own form is in octopus/alerts/channels/.)"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from octopus.alerts.models import AlertKind, AlertState, Channel


class AlertRecipientsForm(forms.Form):
    """A job's alert recipients (its `alert_routing`). Nothing chosen: the default channels."""

    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the default channels."),
    )
    users = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("People"),
        help_text=_("They get e-mail at their own address."),
    )
    alert_level = forms.ChoiceField(
        label=_("Alert on log lines at or above"),
        help_text=_("Lines of this level or worse in a run's output raise an alert."),
    )

    def __init__(self, data: Any = None, *, job: Any) -> None:
        from octopus.jobs.models import Job

        routing = job.alert_routing or {}
        initial = {
            "channels": routing.get("channels", []),
            "users": routing.get("users", []),
            "alert_level": job.alert_level,
        }
        super().__init__(data, initial=initial)
        # self.fields holds plain Fields to the type checker; these are declared above.
        channels = cast(forms.ModelMultipleChoiceField, self.fields["channels"])
        channels.queryset = Channel.objects.order_by("name")
        users = cast(forms.ModelMultipleChoiceField, self.fields["users"])
        users.queryset = (
            get_user_model().objects.filter(is_active=True).exclude(email="").order_by("username")
        )
        level = cast(forms.ChoiceField, self.fields["alert_level"])
        level.choices = Job._meta.get_field("alert_level").choices or ()  # (it has choices)

    def recipients(self) -> dict[str, list[int]]:
        channels = sorted(c.pk for c in self.cleaned_data["channels"])
        users = sorted(u.pk for u in self.cleaned_data["users"])
        return {"channels": channels, "users": users} if channels or users else {}

    def save(self, job: Any) -> None:
        with transaction.atomic():
            job.alert_routing = self.recipients()
            job.alert_level = self.cleaned_data["alert_level"]
            job.save(update_fields=["alert_routing", "alert_level", "updated"])


class AlertFilterForm(forms.Form):
    state = forms.ChoiceField(
        required=False,
        choices=[("", _("unresolved")), ("all", _("any state")), *AlertState.choices],
    )
    kind = forms.ChoiceField(required=False, choices=[("", _("any kind")), *AlertKind.choices])
    job = forms.CharField(required=False, max_length=100)
