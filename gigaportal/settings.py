"""Settings for gigaportal: one module, every option from the environment.

Unset, the portal runs embedded: SQLite in the project folder and Celery tasks executed
in-process, so `make run` needs no services. A deployment sets DATABASE_URL and
REDIS_URL (docker-compose.yml does). Every value is parsed strictly (gigaportal/env.py).
"""

import datetime as dt
import ipaddress
import os
from collections import ChainMap
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from gigaportal.env import Env, parse_email_url, read_env_file

BASE_DIR = Path(__file__).resolve().parent.parent
# The real environment first, then a developer checkout's local.env (see env.py).
LOCAL_ENV_FILE = os.environ.get("LOCAL_ENV_FILE", str(BASE_DIR / "local.env"))
env = Env(ChainMap(os.environ, read_env_file(LOCAL_ENV_FILE)))

DEBUG = env.bool("DEBUG", False)
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", "django-insecure-local-development-only")
else:
    SECRET_KEY = env.required("SECRET_KEY", "production needs its own secret (DEBUG is off)")
    if SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must not be the development key in production")

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else ["localhost", "127.0.0.1"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "gigaportal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "js_lib_bootstrap5",
    "gigaportal",
    "devices",
    "traffic",
    "support",
    "surveys",
    "security",
    "dashboard",
    "gigaportal.apps.AxesConfig",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gigaportal.middleware.IdleSessionTimeoutMiddleware",
    "gigaportal.middleware.ChangeContextMiddleware",
    "gigaportal.middleware.SignedInNoStoreMiddleware",
    "gigaportal.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "gigaportal.urls"
WSGI_APPLICATION = "gigaportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gigaportal.context_processors.portal",
            ],
            "builtins": ["gigaportal.templatetags.fiscal"],
        },
    },
]

# Database: DATABASE_URL (postgres://user:pass@host:5432/name) or the embedded SQLite file.
DATABASES = {
    "default": dj_database_url.parse(
        env.str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "gigaportal.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 14  # set-password links sent each April last two weeks

# Japanese first, English selectable (LocaleMiddleware + the language switch in the navbar).
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded CSVs larger than this are streamed to a temporary file (FILE_UPLOAD_TEMP_DIR,
# default the system's), never held in memory; the form fields of a request (not its
# files) may hold at most DATA_UPLOAD_MAX_MEMORY_SIZE.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR")
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Imports (gigaportal/imports.py). An upload up to IMPORT_INLINE_MAX_BYTES is imported
# while the browser waits; a larger one is stored and imported by a worker, the browser
# following its progress page. At the default the slowest importer (the support log)
# takes 1–2 s on a loaded 2-core machine (benchmarks/import_memory.py --sizes 0.25).
IMPORT_INLINE_MAX_BYTES = env.int("IMPORT_INLINE_MAX_BYTES", 256 * 1024, minimum=0)
# The largest file each kind of import accepts, in MB (IMPORT_MAX_MB_<KIND> overrides
# one: IMPORT_MAX_MB_SUPPORT_LOG=80); a kind not listed has IMPORT_MAX_MB_DEFAULT.
IMPORT_MAX_MB_DEFAULT = env.int("IMPORT_MAX_MB_DEFAULT", 50, minimum=1)
IMPORT_MAX_MB = {
    kind: env.int(f"IMPORT_MAX_MB_{kind.upper()}", default, minimum=1)
    for kind, default in {
        "traffic_usage": 200,
        "support_log": 50,
        "devices": 50,
        "device_events": 50,
        "survey_responses": 50,
        "schools": 5,
        "users": 5,
    }.items()
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# HTTPS hardening is on whenever DEBUG is off; HTTPS=false is for tests over plain HTTP.
HTTPS = env.bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
# The container health check calls /healthz over plain HTTP from inside the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Signed out after this long without a request (gigaportal.middleware); administrators
# sooner. The cookie itself lasts a little longer, so the login page can say why.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", 8 * 60 * 60, minimum=60)
SESSION_IDLE_TIMEOUT_ADMIN = env.int("SESSION_IDLE_TIMEOUT_ADMIN", 60 * 60, minimum=60)
SESSION_COOKIE_AGE = max(SESSION_IDLE_TIMEOUT, SESSION_IDLE_TIMEOUT_ADMIN) + 60 * 60

# Content-Security-Policy (django-csp 4): scripts only from the portal's own static
# files, no inline script or on* handler (templates wire behaviour by data attributes,
# static/gigaportal/portal.js); inline style attributes are allowed (layout only).
# Bootstrap's form controls draw their arrows from data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Only features Chromium knows: an unknown one ("bluetooth") is a console error on
# every page.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "magnetometer=(), gyroscope=(), accelerometer=()"
)

# /healthz tells the database's and the broker's state only to these addresses (and
# networks); anybody else reads ok or unhealthy.
HEALTHZ_ALLOWED_IPS = env.list("HEALTHZ_ALLOWED_IPS", ["127.0.0.1", "::1"])
for _entry in HEALTHZ_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_entry, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"HEALTHZ_ALLOWED_IPS: {_entry!r} is not an address") from None

# Per-person limits on what fills the database or the disk: support requests made and
# files uploaded in a rolling window (RATE_LIMIT_WINDOW seconds; Django's cache).
RATE_LIMIT_WINDOW = env.int("RATE_LIMIT_WINDOW", 10 * 60, minimum=1)
RATE_LIMIT_REQUESTS = env.int("RATE_LIMIT_REQUESTS", 10, minimum=1)
RATE_LIMIT_UPLOADS = env.int("RATE_LIMIT_UPLOADS", 20, minimum=1)
if env.bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a reverse proxy that overwrites this header (docker-compose's deployment).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Behind the city's reverse proxy: how many proxies append to X-Forwarded-For. 0 (the
# default) ignores the header, which a client could otherwise forge (gigaportal/clientip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, minimum=0)

# Login lockout (django-axes): a username is locked from one address after this many
# failures in a row, for the cool-off; never a whole address (a school's PCs share one
# NAT address) and never for good. `manage.py axes_reset_username NAME` or Django
# admin's "access attempts" unlock early.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "gigaportal.clientip.client_ip"
# A failure during the lockout does not start the cool-off again: the person waits the
# minutes the page said.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False
# Successful logins are in our change log (gigaportal/logins.py): one record, not two.
AXES_DISABLE_ACCESS_LOG = True

# E-mail: EMAIL_URL (smtp://user:pass@host:587?tls=true), or the usual EMAIL_* names.
if env.is_set("EMAIL_URL"):
    globals().update(parse_email_url(env.str("EMAIL_URL")))
elif env.is_set("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        # Django would only fail when the first mail is sent; say it at start-up.
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "giga-support@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in e-mails (set-password links, notices) are built from this.
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# The dates the portal accepts anywhere a date comes in (forms, query strings, imported
# cells): from DATE_WINDOW_START to the end of the year DATE_WINDOW_YEARS_AHEAD years
# after this one. A year 0001 or 9999 is a typing error (gigaportal.dates.date_window).
DATE_WINDOW_START = env.date("DATE_WINDOW_START", dt.date(2000, 1, 1))
DATE_WINDOW_YEARS_AHEAD = env.int("DATE_WINDOW_YEARS_AHEAD", 1, minimum=0)
if not 1900 <= DATE_WINDOW_START.year <= 2900:
    raise ImproperlyConfigured("DATE_WINDOW_START must be between 1900 and 2900")
if DATE_WINDOW_YEARS_AHEAD > 50:
    raise ImproperlyConfigured("DATE_WINDOW_YEARS_AHEAD must be at most 50")

# The leader's dashboard counts school notices not acknowledged after this many days.
DASHBOARD_NOTICE_DAYS = env.int("DASHBOARD_NOTICE_DAYS", 7, minimum=1)

# Celery: REDIS_URL set means the real broker; unset means tasks run in-process, eagerly.
REDIS_URL = env.str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = REDIS_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 30 * 60, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 25 * 60, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A redelivered message must not wait an hour: acks_late tasks are redelivered after this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", 60 * 60, minimum=1)
}
# The beat schedule lives in gigaportal/celery.py, in one place.

# The cache has its own Redis database (never the broker's: a cache.clear() must not
# drop queued tasks); unset, each process keeps its own small in-memory cache.
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
if REDIS_CACHE_URL and REDIS_URL and REDIS_CACHE_URL.rstrip("/") == REDIS_URL.rstrip("/"):
    raise ImproperlyConfigured("REDIS_CACHE_URL must name another Redis database than REDIS_URL")

# Traffic (heavy-usage escalation) delivery: how tablet messages leave the portal.
#   outbox-only: recorded, and sent by staff from the MDM console (CSV per message);
#   webhook: POSTed as signed JSON to TRAFFIC_WEBHOOK_URL.
TRAFFIC_TABLET_BACKEND = env.str("TRAFFIC_TABLET_BACKEND", "outbox-only")
if TRAFFIC_TABLET_BACKEND not in {"outbox-only", "webhook"}:
    raise ImproperlyConfigured("TRAFFIC_TABLET_BACKEND must be outbox-only or webhook")
TRAFFIC_WEBHOOK_URL = env.str("TRAFFIC_WEBHOOK_URL")
TRAFFIC_WEBHOOK_SECRET = env.str("TRAFFIC_WEBHOOK_SECRET")
# Past this, a webhook that took the request but did not answer is not retried.
TRAFFIC_WEBHOOK_TIMEOUT_SECONDS = env.int("TRAFFIC_WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
# A month whose file covers at least this share (percent) of the lines under contract
# (the lines of the month before) is confirmed and evaluated on its own; below it, the
# leader confirms it on /traffic/months/ (traffic.services.months).
TRAFFIC_AUTO_CONFIRM_COVERAGE = env.int("TRAFFIC_AUTO_CONFIRM_COVERAGE", 99, minimum=0)
if TRAFFIC_AUTO_CONFIRM_COVERAGE > 101:
    raise ImproperlyConfigured("TRAFFIC_AUTO_CONFIRM_COVERAGE is a percent: 0-100 (101: never)")
if TRAFFIC_TABLET_BACKEND == "webhook" and not (TRAFFIC_WEBHOOK_URL and TRAFFIC_WEBHOOK_SECRET):
    raise ImproperlyConfigured(
        "TRAFFIC_TABLET_BACKEND=webhook needs TRAFFIC_WEBHOOK_URL and TRAFFIC_WEBHOOK_SECRET"
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
