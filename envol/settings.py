"""Django settings for envol, read from ENVOL_* environment variables (see envol/config.py)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from envol import config
from envol.web import themes

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = config.data_dir()
DEBUG = config.env_bool("ENVOL_DEBUG", False)
PRODUCTION = config.env_bool("ENVOL_PRODUCTION", False)
_secrets = config.load_secrets(PRODUCTION, DATA_DIR)
SECRET_KEY = _secrets.secret_key
ENCRYPTION_KEYS = _secrets.encryption_keys

ALLOWED_HOSTS = [
    h.strip() for h in config.env_str("ENVOL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in config.env_str("ENVOL_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()
]
PUBLIC_URL = config.env_str("ENVOL_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "envol.web",  # first: its registration/ templates replace the admin's look-alikes
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "widget_tweaks",
    "dsfr",  # static files of the opt-in DSFR theme (ENVOL_THEME=dsfr); no template of it is used
    "django_tasks",
    "django_tasks_db",
    "axes",  # sign-in throttling (envol/web/throttling.py)
    "csp",  # Content-Security-Policy (below)
    "envol.jobs",
    "envol.orgs",
    "envol.portability",
    "envol.publishing",
    "envol.leaving",
    "envol.crosswalk",
    "envol.migration",
    "envol.people",
    "envol.sharing",
    "envol.insights",
    "envol.decide",
    "envol.history",
    "envol.relays",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "envol.insights.middleware.ShortLinkMiddleware",  # /l/<code>: before sessions, on purpose
    "csp.middleware.CSPMiddleware",  # sets request.csp_nonce for templates
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "envol.web.body_limit.BodyTooLargeMiddleware",  # before any view reads the form
    "axes.middleware.AxesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "envol.orgs.middleware.CurrentOrganisationMiddleware",
]

# The look: envol's own (default) or the DSFR, reserved to State websites (see the README).
ENVOL_THEME = config.theme()

ROOT_URLCONF = "envol.urls"
WSGI_APPLICATION = "envol.wsgi.application"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": themes.template_dirs(ENVOL_THEME),
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "envol.orgs.context_processors.current_organisation",
                "envol.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(config.database_url(DATA_DIR), conn_max_age=60)}
SQLITE_PAGE_SIZE = 32768  # of a new embedded database (below); the archive bench's baseline too
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL and a busy timeout let the web server and the in-process worker share the file.
    # Pages of 32 KiB, not 4 (for a new database; an existing one keeps its size): every
    # page a write touches goes through the WAL one system call each, and every page a cold
    # read needs is one read from the disk; a 5M-row crosswalk import and a first matching
    # against it make fewer of both (bench/matching.py; docs/architecture.md has the figures).
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            f"PRAGMA page_size={SQLITE_PAGE_SIZE}; PRAGMA journal_mode=WAL; "
            "PRAGMA synchronous=NORMAL;"
        ),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        config.private_sqlite(Path(DATABASES["default"]["NAME"]))  # 0600, like the data dir
    # A file, not memory, so that worker subprocesses started by tests share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    # PostgreSQL: a pool of connections per process (psycopg_pool), not persistent ones. Under
    # the ASGI server each request runs in a thread of its own, and a persistent connection
    # stays open with its dead thread: 20 clients for 20 s exhausted PostgreSQL's 200
    # connections ("too many clients", bench/web_load.py). Pooled, a request's connection
    # goes back to the pool when the request ends.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": config.env_int("ENVOL_DB_POOL_SIZE", 20, minimum=2),
        "timeout": 30,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "envol.web.throttling.ThrottlingBackend",  # first: refuses a locked account or address
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in throttling (envol/web/throttling.py): per account and per client address, apart.
ENVOL_LOGIN_FAILURE_LIMIT = config.env_int("ENVOL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
ENVOL_LOGIN_LOCK_MINUTES = config.env_int("ENVOL_LOGIN_LOCK_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = ENVOL_LOGIN_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = "envol.web.throttling.cool_off"
AXES_LOCKOUT_CALLABLE = "envol.web.throttling.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = config.env_str("ENVOL_TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ENVOL_UPLOAD_MAX_BYTES = config.env_int("ENVOL_UPLOAD_MAX_MB", 2048, minimum=1) * 1024 * 1024
# Links a crosswalk dataset import merges and commits at a time (see crosswalk/chunks.py).
ENVOL_CROSSWALK_CHUNK_LINKS = config.env_int(
    "ENVOL_CROSSWALK_CHUNK_LINKS", 1_000_000, minimum=1_000
)

# Networks. A user-typed server URL must resolve to public addresses unless this is on (the
# sandbox and the tests run their servers on loopback).
# The publishing desk: a post pending review (or approved and not published) this many days
# expires; a scheduled post found more than this many minutes after its planned time is not
# published late but held back, and says so.
ENVOL_DESK_EXPIRY_DAYS = config.env_int("ENVOL_DESK_EXPIRY_DAYS", 30, minimum=1)
ENVOL_DESK_LATE_MINUTES = config.env_int("ENVOL_DESK_LATE_MINUTES", 10, minimum=1)
ENVOL_ALLOW_PRIVATE_NETWORKS = config.env_bool("ENVOL_ALLOW_PRIVATE_NETWORKS", False)
ENVOL_BLUESKY_SERVICE = config.env_str("ENVOL_BLUESKY_SERVICE", "https://bsky.social")
ENVOL_BLUESKY_APPVIEW = config.env_str("ENVOL_BLUESKY_APPVIEW", "https://public.api.bsky.app")
# Where did:plc documents are read (signing in with Bluesky; a Bluesky account as a relay source).
ENVOL_PLC_URL = config.env_str("ENVOL_PLC_URL", "https://plc.directory")

# Personal spaces: who may create one by signing in with Bluesky or Mastodon (see people/).
ENVOL_SIGNUP = config.signup()
# How often the workers pull the crosswalk feeds this instance subscribes to (see sharing/).
ENVOL_CROSSWALK_PULL_MINUTES = config.env_int("ENVOL_CROSSWALK_PULL_MINUTES", 60, minimum=1)
# Reading a relay's source: a timeout and a size cap for each answer.
ENVOL_RELAY_TIMEOUT_S = config.env_int("ENVOL_RELAY_TIMEOUT_S", 10, minimum=1)
ENVOL_RELAY_MAX_BYTES = config.env_int("ENVOL_RELAY_MAX_MB", 5, minimum=1) * 1024 * 1024

# Insights: every connected account's counts are read this often (hours), with its posts of the
# last N days (the first run backfills what the network still returns). ENVOL_SNAPSHOTS off:
# newly connected accounts get no snapshot job.
ENVOL_SNAPSHOTS = config.env_bool("ENVOL_SNAPSHOTS", True)
ENVOL_SNAPSHOT_EVERY_HOURS = config.env_int("ENVOL_SNAPSHOT_EVERY_HOURS", 24, minimum=1)
ENVOL_SNAPSHOT_POST_DAYS = config.env_int("ENVOL_SNAPSHOT_POST_DAYS", 30, minimum=1)

EMAIL_BACKEND = config.email_backend(PRODUCTION)
EMAIL_HOST = config.env_str("ENVOL_EMAIL_HOST", "localhost")
EMAIL_PORT = config.env_int("ENVOL_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = config.env_str("ENVOL_EMAIL_USER")
EMAIL_HOST_PASSWORD = config.env_str("ENVOL_EMAIL_PASSWORD")
EMAIL_USE_TLS = config.env_bool("ENVOL_EMAIL_STARTTLS", False)
DEFAULT_FROM_EMAIL = config.env_str("ENVOL_FROM_EMAIL", "envol@localhost")

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "envol.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# HSTS, sent on HTTPS responses (uvicorn takes the scheme from a trusted proxy's headers).
SECURE_HSTS_SECONDS = config.env_int("ENVOL_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)

# Content-Security-Policy (django-csp): this server's own files only; an inline <script> or
# <style> needs the request's nonce (`{{ request.csp_nonce }}`). Enforced on every response by
# default (the templates have no inline code: a test scans them, and the browser walk fails on
# any console error, which is how a blocked script shows); `report-only` or `off` to debug.
ENVOL_CSP = config.env_choice("ENVOL_CSP", "enforce", ("enforce", "report-only", "off"))
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    }
}
if ENVOL_CSP == "enforce":
    CONTENT_SECURITY_POLICY = _CSP_POLICY
elif ENVOL_CSP == "report-only":
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "envol.orgs.crypto.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": config.env_str("ENVOL_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "django.db.backends": {"level": "WARNING"}},
}
