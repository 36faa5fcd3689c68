"""One settings module for development, tests and production, read from the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from octopus.lib.dburl import parse_database_url
from octopus.lib.duration import parse_duration
from octopus.lib.private_files import SECRET_KEY_FILE, private_dir, write_private

BASE_DIR = Path(__file__).resolve().parent


def envbool(name: str, default: str = "False") -> bool:
    value = os.getenv(name, default)
    if value not in ("True", "False", "true", "false", "1", "0"):
        raise ValueError(f"{name} must be True or False, not {value!r}")
    return value in ("True", "true", "1")


def envint(name: str, default: int) -> int:
    value = os.getenv(name)
    return default if value in (None, "") else int(value)


def envduration(name: str, default: str) -> timedelta:
    """A duration such as `3d` or `72h` (see octopus.lib.duration)."""
    value = os.getenv(name) or default
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def envsecret(name: str) -> str | None:
    """Read NAME, or the file named by NAME_FILE (for container secrets)."""
    path = os.getenv(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return os.getenv(name) or None


DATA_DIR = Path(os.getenv("OCTOPUS_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    # A key kept in the data directory survives restarts, so sessions stay valid.
    key = envsecret("OCTOPUS_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / SECRET_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    private_dir(DATA_DIR)  # 0700: it holds the database and this key
    key = secrets.token_urlsafe(48)
    write_private(path, key)  # 0600 from the start
    return key


SECRET_KEY = _secret_key()
DEBUG = envbool("OCTOPUS_DEBUG")
ALLOWED_HOSTS = os.getenv("OCTOPUS_ALLOWED_HOSTS", "*").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("OCTOPUS_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "channels",
    "ninja",  # serves the API docs' own Swagger UI files (no CDN)
    "octopus.accounts",
    "octopus.workers",
    "octopus.jobs",
    "octopus.runs",
    "octopus.logs",
    "octopus.alerts",
    "octopus.cluster",
    "octopus.link",
    "axes",  # login lockout after repeated failures (accounts/lockout.py)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "octopus.lib.nul_bytes.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "octopus.web.middleware.LoginRequiredMiddleware",
    "octopus.web.middleware.ViewerTimeZoneMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "octopus.urls"
ASGI_APPLICATION = "octopus.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["octopus.web.templatetags"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "octopus.web.context.permissions",
                "octopus.web.alert_badge.open_alerts",
            ],
        },
    }
]

DATABASES = {"default": parse_database_url(os.getenv("OCTOPUS_DATABASE_URL", ""), DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True

# Login lockout (django-axes): 5 failures for one user name from one address lock that pair
# out for 15 minutes; the login page says so (accounts/lockout.py).
AUTH_PASSWORD_VALIDATORS = [  # for passwords people type in the user pages
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("OCTOPUS_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("OCTOPUS_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "octopus.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; keep default

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the language switch is remembered for a year
TIME_ZONE = os.getenv("OCTOPUS_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = os.getenv("OCTOPUS_STATIC_ROOT") or None  # only for collectstatic
# Serve straight from the app folders: `octopus up` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Octopus itself.
WORKER_HEARTBEAT_INTERVAL = envint("OCTOPUS_WORKER_HEARTBEAT_INTERVAL", 5)  # seconds
WORKER_TIMEOUT = envint("OCTOPUS_WORKER_TIMEOUT", 30)  # seconds of silence before "offline"
# Fencing (docs/guarantees.md): a worker holds a lease renewed by each recorded heartbeat;
# past it, the worker stops its runs of jobs that forbid overlap. The server declares such
# runs lost (and retries them) only after lease + grace of silence, so copies never overlap.
WORKER_LEASE = envint("OCTOPUS_WORKER_LEASE", 20)  # seconds
WORKER_LEASE_GRACE = envint("OCTOPUS_WORKER_LEASE_GRACE", 10)  # seconds: kill time, slack
LEADER_LEASE_SECONDS = envint("OCTOPUS_LEADER_LEASE", 15)
ENABLED_LOOPS = [n for n in os.getenv("OCTOPUS_LOOPS", "").split(",") if n]  # empty: all
LOG_RETENTION_DAYS = envint("OCTOPUS_LOG_RETENTION_DAYS", 3)  # older setting, still read
# How long output lines are kept, e.g. "3d" or "72h"; runs keep their summary for good.
LOG_RETENTION = envduration("OCTOPUS_LOG_RETENTION", f"{LOG_RETENTION_DAYS}d")
LOG_LINE_MAX_BYTES = envint("OCTOPUS_LOG_LINE_MAX_BYTES", 64 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "octopus": {"handlers": ["console"], "level": os.getenv("OCTOPUS_LOG_LEVEL", "INFO")},
    },
}

# Alerts (octopus/alerts). Occurrences of one alert (same kind and job or worker) less than
# the merge window apart merge into one; an open alert that keeps absorbing occurrences
# gets at most one summary per summary interval.
ALERT_MERGE_WINDOW = envint("OCTOPUS_ALERT_MERGE_WINDOW", 600)  # seconds
ALERT_SUMMARY_INTERVAL = envint("OCTOPUS_ALERT_SUMMARY_INTERVAL", ALERT_MERGE_WINDOW)  # seconds
ALERT_NO_WORKER_GRACE = envint("OCTOPUS_ALERT_NO_WORKER_GRACE", 60)  # seconds queued, no worker
ALERT_DELIVERY_ATTEMPTS = envint("OCTOPUS_ALERT_DELIVERY_ATTEMPTS", 5)
ALERT_RETRY_BACKOFF = envint("OCTOPUS_ALERT_RETRY_BACKOFF", 15)  # seconds, doubled per attempt
# Links in notifications point here, e.g. https://octopus.example.com (empty: no links).
OCTOPUS_BASE_URL = os.getenv("OCTOPUS_BASE_URL", "")
# E-mail to people and to e-mail channels without their own SMTP server.
EMAIL_HOST = os.getenv("OCTOPUS_SMTP_HOST", "localhost")
EMAIL_PORT = envint("OCTOPUS_SMTP_PORT", 25)
EMAIL_HOST_USER = os.getenv("OCTOPUS_SMTP_USER", "")
EMAIL_HOST_PASSWORD = envsecret("OCTOPUS_SMTP_PASSWORD") or ""
EMAIL_USE_TLS = envbool("OCTOPUS_SMTP_STARTTLS")
EMAIL_USE_SSL = envbool("OCTOPUS_SMTP_SSL")
EMAIL_TIMEOUT = 10  # seconds
DEFAULT_FROM_EMAIL = os.getenv("OCTOPUS_EMAIL_FROM", "octopus@localhost")
