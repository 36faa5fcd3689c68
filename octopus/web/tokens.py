"""The "API tokens" page: a person makes and revokes their own personal API tokens."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from octopus.accounts import audit
from octopus.accounts.api_tokens import issue_token, revoke_token
from octopus.accounts.models import ApiToken
from octopus.accounts.roles import role_of
from octopus.web.middleware import LoggedInRequest


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text=_("What the token is for, e.g. “laptop CLI” or “deploy pipeline”."),
        widget=forms.TextInput(attrs={"placeholder": _("laptop CLI"), "autofocus": True}),
    )


NEW_TOKEN_KEY = "octopus_new_api_token"


def token_list(request: LoggedInRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, clear = issue_token(request.user, form.cleaned_data["name"].strip())
        audit.record(
            "token.create",
            request=request,
            obj=token,
            after={"name": token.name, "prefix": token.prefix},
        )
        # Shown on the page this redirects to, once: a reload then neither shows it again
        # nor posts the form a second time (which would make another token).
        request.session[NEW_TOKEN_KEY] = clear
        return redirect("api-tokens")
    ctx = {
        "form": form,
        "new_token": request.session.pop(NEW_TOKEN_KEY, None),
        "tokens": ApiToken.objects.filter(user=request.user),
        "role": role_of(request.user),
        "api_url": request.build_absolute_uri("/"),
    }
    return render(request, "accounts/api_tokens.html", ctx)


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if revoke_token(token):
        audit.record(
            "token.revoke",
            request=request,
            obj=token,
            before={"revoked": False},
            after={"revoked": True},
        )
        messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api-tokens")
