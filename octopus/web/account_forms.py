"""People: the admin's forms for creating and changing users."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from octopus.accounts.models import Role

USERNAME = re.compile(r"^[\w.@+-]+$")
GROUP_NAME = re.compile(r"^[\w .-]+$")


def split_groups(text: str) -> list[str]:
    return sorted({g.strip() for g in text.split(",") if g.strip()})


class UserForm(forms.Form):
    """Create a user (with a password) or change one (password optional: a reset)."""

    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    groups = forms.CharField(
        label=_("Groups"),
        required=False,
        help_text=_("Comma separated; new groups are created. Operators run their groups' jobs."),
    )
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    is_active = forms.BooleanField(label=_("Active (may log in)"), required=False, initial=True)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None:
            self.fields["password"].required = True
            self.fields["password"].help_text = _("At least 8 characters, not all digits.")
        else:
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
            self.fields["username"].disabled = True

    def clean_username(self) -> str:
        name = self.cleaned_data["username"].strip()
        if not USERNAME.match(name):
            raise forms.ValidationError(_("Use letters, digits and @ . + - _ only."))
        others = get_user_model().objects.filter(username=name)
        if self.user is not None:
            others = others.exclude(pk=self.user.pk)
        if others.exists():
            raise forms.ValidationError(_("A user with that name already exists."))
        return name

    def clean_groups(self) -> list[str]:
        names = split_groups(self.cleaned_data.get("groups", ""))
        for name in names:
            if not GROUP_NAME.match(name) or len(name) > 150:
                raise forms.ValidationError(
                    _("%(name)s is not a valid group name.") % {"name": repr(name)}
                )
        return names

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            # A new user is checked as the user it will be: a password like the user name
            # is refused (Django's similarity rule needs the user to compare with).
            user = self.user or get_user_model()(username=data.get("username", ""))
            try:
                password_validation.validate_password(password, user)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


def group_names(user) -> str:
    return ", ".join(user.groups.order_by("name").values_list("name", flat=True))


def ensure_groups(names: list[str]) -> list[Group]:
    return [Group.objects.get_or_create(name=name)[0] for name in names]
