"""Carrefour server settings, driven by the environment (one module, typed helpers).

SQLite by default (embedded, for the demo and small sites); set DATABASE_URL for
PostgreSQL in production. Secrets come from the environment or from `<NAME>_FILE`.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import unquote, urlparse

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env(name: str, default: str = "") -> str:
    """A setting from NAME, or from the file NAME_FILE points to (for secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = env(name, "")
    if not value:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be a boolean, got {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """sqlite:///path/to.db or postgres://user:pass@host:port/name -> Django DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        name = unquote(parsed.path[1:] if parsed.path.startswith("//") else parsed.path)
        return sqlite_database(name or str(DATA_DIR / "carrefour.sqlite3"))
    if parsed.scheme in ("postgres", "postgresql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            # DATABASE_PASSWORD(_FILE) keeps the secret out of the URL (a systemd credential).
            "PASSWORD": env("DATABASE_PASSWORD", "") or unquote(parsed.password or ""),
            "HOST": unquote(parsed.hostname or ""),
            "PORT": str(parsed.port or ""),
            **postgres_connections(),
            "TEST": {"NAME": env("DB_TEST_NAME", "") or None},
        }
    raise ValueError(f"DATABASE_URL scheme not supported: {parsed.scheme!r}")


def postgres_connections() -> dict:
    """Under ASGI (DB_POOL=1, set by kiosk/server/asgi.py) sync views run on threads shared
    by the process's requests: connections come from a pool of DB_POOL_MAX per process
    (psycopg_pool), handed back after each request. Under WSGI each gunicorn thread keeps its own for CONN_MAX_AGE."""
    if envbool("DB_POOL", False):
        # Health checks: a pooled connection cut by a PostgreSQL restart or a failover is
        # replaced at checkout (one empty round trip), never handed to a request.
        return {"CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True, "OPTIONS": {"pool": {
            "min_size": envint("DB_POOL_MIN", 2), "max_size": envint("DB_POOL_MAX", 16),
            "timeout": envint("DB_POOL_TIMEOUT", 20)}}}
    return {"CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", 60), "CONN_HEALTH_CHECKS": True}


def sqlite_database(name: str) -> dict:
    if name != ":memory:" and not name.startswith("file:"):
        Path(name).parent.mkdir(parents=True, exist_ok=True)  # first run of the embedded default
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": {
            # Writers take the lock at BEGIN: no "database is locked" on lock upgrade.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
        "TEST": {"NAME": env("DB_TEST_NAME", "") or None},
    }


DEBUG = envbool("DEBUG", False)
DATA_DIR = Path(env("CARREFOUR_DATA_DIR", str(PROJECT_DIR / "var" / "server")))
SECRET_KEY = env("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-carrefour"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# Base of the links printed on tickets and QR codes (phones reach the server through it).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "").rstrip("/")

# Queues (docs/queues.md, counter timetables): agents serve the visitors still in the hall
# after the last planned session of the day; the estimator counts on this many minutes of it
# before telling a visitor "we may not reach you today".
COUNTER_OVERTIME_MINUTES = envint("COUNTER_OVERTIME_MINUTES", 30)

# SMS (docs/sms.md): "log" for development, "kannel" in production.
SMS_BACKEND = env("SMS_BACKEND", "log")
KANNEL_SENDSMS_URL = env("KANNEL_SENDSMS_URL", "http://127.0.0.1:13013")
KANNEL_USERNAME = env("KANNEL_USERNAME", "carrefour")
KANNEL_PASSWORD = env("KANNEL_PASSWORD", "")
KANNEL_SMSC = env("KANNEL_SMSC", "")
SMS_SENDER = env("SMS_SENDER", "")
# Where Kannel's smsbox reaches this server for delivery reports (loopback in production).
SMS_DLR_BASE_URL = env("SMS_DLR_BASE_URL", "http://127.0.0.1:8000")
# The countries whose mobiles get SMS (ISO region codes, docs/sms.md): France and its
# overseas departments and collectivities sharing its numbering. Satellite and other
# non-geographic numbers never do, whatever this says.
SMS_COUNTRIES = envlist("SMS_COUNTRIES", "FR,GP,MQ,GF,RE,YT,PM,BL,MF")
# Phone numbers are stored encrypted under a key per day kept here, outside the database;
# the nightly purge deletes past days' keys (crypto-shredding: docs/sms.md, privacy). Never
# in the backups of the database.
PHONE_KEYS_DIR = Path(env("PHONE_KEYS_DIR", str(DATA_DIR / "phone-keys")))
# `load_demo` creates the published demo accounts and kiosk token: only on a demo server
# (DEBUG, or DEMO=1 for the local demo and test servers, which run with DEBUG off).
DEMO = envbool("DEMO", DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja's API docs then use its bundled Swagger UI (our static files) instead of a
    # CDN: works offline, no third party, and within the Content-Security-Policy.
    "ninja",
    "axes",  # per-account login throttling (AXES_* below)
    "kiosk.server.content",
    "kiosk.server.accounts",
    "kiosk.server.devices",
    "kiosk.server.queueing",
    "kiosk.server.assistance",
    "kiosk.server.notifications",
    "kiosk.server.web",
    "kiosk.server.stats",
    "kiosk.server.audit",
    "kiosk.server.enrolment",  # one-time codes for new kiosks (issue 15, provisioning)
    "kiosk.server.carnet",  # the carnet du citoyen: documents, fiches de liaison (issue 14)
    "kiosk.server.appointments",
    "kiosk.server.voice",  # the visitor's voice: faces, comments, questions (issue 14)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # WhiteNoise, async-capable: under ASGI every middleware must be (kiosk/server/middleware.py).
    "kiosk.server.middleware.StaticFilesMiddleware",
    # A NUL anywhere in a request is a 400, never a PostgreSQL 500 (kiosk/server/input_guard.py).
    "kiosk.server.input_guard.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An agent's session ends at the end of the working day (kiosk/server/accounts/sessions.py).
    "kiosk.server.accounts.sessions.WorkingDaySessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kiosk.server.security.ContentSecurityPolicyMiddleware",
    # Last: turns a locked-out login into the login page with its message (AXES_* below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kiosk.server.urls"
WSGI_APPLICATION = "kiosk.server.wsgi.application"
ASGI_APPLICATION = "kiosk.server.asgi.application"  # what deploy/server runs
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": database_from_url(env("DATABASE_URL", ""))
    if env("DATABASE_URL", "")
    else sqlite_database(str(DATA_DIR / "carrefour.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    # Refuses a password close to the username, the name or the e-mail.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Per-account login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for
# one username, from any addresses, that account cannot log in for AXES_COOLOFF_TIME (each
# new try during the lockout starts it again). The per-IP limit (RATELIMITS["login"]) stays.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = envbool("AXES_ENABLED", True)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Not by address (axes.W006): the agents share the town hall's address, and one mistyping
# colleague would lock them all out. Addresses are limited by RATELIMITS["login"].
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures only: no growing log of every login
AXES_CLIENT_IP_CALLABLE = "kiosk.server.ratelimit.client_ip"  # behind nginx: TRUSTED_PROXIES
AXES_LOCKOUT_CALLABLE = "kiosk.server.accounts.lockout.lockout_response"
# Agents' sessions: the cookie ends when the browser closes, and the session at the end of
# the working day (SESSION_END_OF_DAY, local time) or after SESSION_MAX_HOURS at most.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_END_OF_DAY = env("SESSION_END_OF_DAY", "20:00")
SESSION_MAX_HOURS = envint("SESSION_MAX_HOURS", 12)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600  # the stored session's own limit
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "console"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English"), ("ar", "العربية"), ("zh", "中文"),
             ("wo", "Wolof"), ("bm", "Bamanankan")]
# The server's own catalogs (kiosk/server/web/catalogs.py compiles them, stdlib only).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
# Static files are served by the app itself (whitenoise), so one process is a whole server;
# nginx may still serve them in front (deploy/nginx). Without collectstatic, read the sources.
WHITENOISE_USE_FINDERS = envbool("WHITENOISE_USE_FINDERS", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Production hardening: on unless DEBUG; TLS is terminated by nginx (deploy/nginx).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Only a local demo over plain http on loopback turns these off (deploy/dev/demo.py).
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Content-Security-Policy of every page (kiosk/server/security.py): scripts only from our own
# static files, images from us or data: URLs (QR codes), no framing. Replace it whole with
# CONTENT_SECURITY_POLICY (env) if a site needs more; empty turns it off.
CONTENT_SECURITY_POLICY = env("CONTENT_SECURITY_POLICY", "default")

# Cache: the rate limiter's counters (kiosk/server/ratelimit.py). "locmem://" (default) keeps
# them in each process: several gunicorn workers then each count separately. Production uses
# "db://carrefour_cache" (the table is created by `python -m kiosk.server createcachetable`,
# on SQLite and PostgreSQL alike) so that limits hold across workers (deploy/README.md).
CACHE_URL = env("CACHE_URL", "locmem://")


def cache_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "LOCATION": parsed.netloc or "carrefour"}
    if parsed.scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": parsed.netloc or "carrefour_cache"}
    if parsed.scheme == "file":
        return {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": unquote(parsed.path)}
    if parsed.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ValueError(f"CACHE_URL scheme not supported: {parsed.scheme!r}")


CACHES = {"default": cache_from_url(CACHE_URL)}

# Rate limits (kiosk/server/ratelimit.py): per kiosk for the API's writes, per ticket for the
# phones' actions, per client IP for the login form. 429 + Retry-After beyond them.
RATELIMIT_ENABLED = envbool("RATELIMIT_ENABLED", True)
RATELIMITS = {
    "tickets": env("RATELIMIT_TICKETS", "60/m"),  # per kiosk
    "leases": env("RATELIMIT_LEASES", "60/m"),  # per kiosk: offline number blocks
    "assistance": env("RATELIMIT_ASSISTANCE", "6/m"),  # per kiosk
    "heartbeat": env("RATELIMIT_HEARTBEAT", "30/m"),  # per kiosk (one a minute is normal)
    "phone": env("RATELIMIT_PHONE", "10/m"),  # per ticket: "I'm leaving", "more time"
    "login": env("RATELIMIT_LOGIN", "10/m"),  # per IP: login attempts
    "propose": env("RATELIMIT_PROPOSE", "5/h"),  # per IP: residents' proposals (/proposer)
    "contributions": env("RATELIMIT_CONTRIBUTIONS", "20/h"),  # per kiosk: proposals
    "enrol": env("RATELIMIT_ENROL", "20/h"),  # per IP: kiosk enrolment codes (provision.sh)
    "carnets": env("RATELIMIT_CARNETS", "30/m"),  # per kiosk: carnet look-ups; per ticket: ticks
    "checkin": env("RATELIMIT_CHECKIN", "20/m"),  # per kiosk: appointment check-in by code
    "slots": env("RATELIMIT_SLOTS", "30/m"),  # per kiosk: the check-in's times to touch
    "voice_phone": env("RATELIMIT_VOICE_PHONE", "10/h"),  # per ticket: feedback, questions
    "voice_kiosk": env("RATELIMIT_VOICE_KIOSK", "120/h"),  # per kiosk: faces at the kiosk
}
# Reverse proxies whose X-Forwarded-For is believed (addresses or networks). nginx on the same
# machine: 127.0.0.1. Empty: REMOTE_ADDR is the client.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")

# An appointment checked in more than this many minutes after its slot joins the normal
# queue (docs/queues.md, the appointment lane).
APPOINTMENT_GRACE_MINUTES = envint("APPOINTMENT_GRACE_MINUTES", 10)

# Content changes older than this are compacted; a kiosk further behind gets a full snapshot.
CONTENT_DELTA_PAGE = envint("CONTENT_DELTA_PAGE", 500)
# A kiosk's "call an agent" nobody answered within this many minutes expires (the visitor
# has gone); the kiosk may then ask again.
ASSISTANCE_EXPIRY_MINUTES = envint("ASSISTANCE_EXPIRY_MINUTES", 30)
# A carnet du citoyen unused this many days is erased by the nightly purge (docs/privacy.md).
CARNET_RETENTION_DAYS = envint("CARNET_RETENTION_DAYS", 183)
# Visitors' comments and questions not published: their text is erased by the nightly purge
# this many days after they were written; the faces stay (docs/privacy.md).
VOICE_COMMENT_RETENTION_DAYS = envint("VOICE_COMMENT_RETENTION_DAYS", 90)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
