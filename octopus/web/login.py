from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, JsonResponse

from octopus.accounts import audit


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    audit.record("user.login", request=request, actor=user, obj=user)


@receiver(user_login_failed)
def _audit_failed_login(sender, credentials, request=None, **kwargs) -> None:
    audit.record(
        "user.login_failed", request=request, after={"username": credentials.get("username")}
    )


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
