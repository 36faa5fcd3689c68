"""E-mail through Django's SMTP backend: the channel's own SMTP server when it names one,
else the server's settings (OCTOPUS_SMTP_*). Also used for people's own addresses."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend

from octopus.alerts.messages import Message
from octopus.alerts.transports import HTTP_TIMEOUT, Transport, TransportError


class EmailTransport(Transport):
    secret_fields = ("smtp_password",)

    def connection(self) -> BaseEmailBackend:
        host = self.config.get("smtp_host")
        if not host:
            return get_connection(fail_silently=False)
        security = self.config.get("smtp_security", "starttls")
        return EmailBackend(
            host=host,
            port=int(self.config.get("smtp_port") or 587),
            username=self.config.get("smtp_username") or "",
            password=self.config.get("smtp_password") or "",
            use_tls=security == "starttls",
            use_ssl=security == "ssl",
            timeout=HTTP_TIMEOUT,
            fail_silently=False,
        )

    def notify(self, message: Message) -> None:
        to = list(self.config.get("to") or [])
        if not to:
            raise TransportError("no recipient address", permanent=True)
        email = EmailMessage(
            # A header must be one line; a run's reason may not be.
            subject=" ".join(message.title.split())[:250],
            body="\n".join([*message.lines, *([message.url] if message.url else [])]) + "\n",
            from_email=self.config.get("from_address") or settings.DEFAULT_FROM_EMAIL,
            to=to,
            headers={"X-Octopus-Event": message.event},
            connection=self.connection(),
        )
        try:
            email.send()
        except smtplib.SMTPAuthenticationError as exc:
            raise TransportError(f"SMTP login refused: {_smtp_text(exc)}", permanent=True) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(sorted(exc.recipients))
            raise TransportError(f"recipients refused: {refused}", permanent=True) from None
        except smtplib.SMTPSenderRefused as exc:
            raise TransportError(f"sender refused: {_smtp_text(exc)}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            raise TransportError(f"SMTP error {_smtp_text(exc)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"SMTP failed: {exc or type(exc).__name__}") from None


def _smtp_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
    return f"{exc.smtp_code} {text}".strip()
