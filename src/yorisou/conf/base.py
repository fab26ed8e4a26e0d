"""Every setting of Yorisou, read from the environment through ``conf.env``.

``dev``, ``test`` and ``production`` only override. With neither ``DATABASE_URL``
nor ``REDIS_URL`` set, the embedded defaults apply: a SQLite file under ``var/``,
in-memory channel layer, local-memory cache and tasks run inline.
"""

import secrets
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE, NONE, SELF

from yorisou.conf.env import (
    email_settings,
    env_bool,
    env_int,
    env_list,
    env_path,
    env_str,
)

django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env_path("YORISOU_VAR_DIR", Path.cwd() / "var")


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one kept in ``var/`` (embedded use)."""
    key = env_str("SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()


def _field_encryption_keys() -> list[str]:
    """Fernet keys for values encrypted at rest (My Number): newest first, older
    keys still decrypt. From ``FIELD_ENCRYPTION_KEYS``, else one kept in ``var/``
    (embedded use; production refuses to start without the variable)."""
    keys = env_list("FIELD_ENCRYPTION_KEYS", [])
    if keys:
        return keys
    key_file = VAR_DIR / "field_encryption_key"
    if key_file.exists():
        return [key_file.read_text().strip()]
    from cryptography.fernet import Fernet

    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return [key]


FIELD_ENCRYPTION_KEYS = _field_encryption_keys()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
# The address staff use to reach Yorisou, for links in emails sent by tasks.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "yorisou.core",
    "yorisou.accounts",
    "yorisou.reforms",
    "yorisou.procedures",
    "yorisou.reports",
    "yorisou.eforms",
    "yorisou.emergency",
    "yorisou.api",
]

MIDDLEWARE = [
    "yorisou.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "yorisou.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "yorisou.urls"
WSGI_APPLICATION = "yorisou.wsgi.application"
ASGI_APPLICATION = "yorisou.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yorisou.core.context_processors.navigation",
            ],
        },
    }
]

# Database: DATABASE_URL (postgres://… or sqlite:///…); else a SQLite file in var/.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES: dict[str, Any] = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "yorisou.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool per process (psycopg_pool): under ASGI every request runs in its own
    # thread, and persistent connections per thread would pile up until
    # PostgreSQL refuses new clients. DB_POOL_MAX × processes must stay below
    # the server's max_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2),
        "max_size": env_int("DB_POOL_MAX", 8),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }
    # Parameters bound by PostgreSQL, not quoted into the SQL text by psycopg in
    # Python; a statement run 5 times on a connection is then prepared (parsed
    # and planned once). About 1 ms less CPU per API submission, between the
    # web process and PostgreSQL (docs/performance.md).
    DATABASES["default"]["OPTIONS"]["server_side_binding"] = env_bool(
        "DB_SERVER_SIDE_BINDING", True
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: Channels layer, cache and task broker. Unset: in-process defaults.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES: dict[str, Any] = {
        "default": {
            # Django's, keeping its redis-py clients (core/cache.py)
            "BACKEND": "yorisou.core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "yorisou",
        }
    }
    CHANNEL_LAYERS: dict[str, Any] = {
        "default": {
            # Redis pub/sub: one PUBLISH per group message, which Redis pushes to
            # the processes subscribed to it (docs/performance.md, "Live119
            # signalling"). At most once: what is published while a process's
            # subscription is down is lost; Live119 notices and its pages read the
            # state again (emergency/delivery.py, docs/operations.md). Every group
            # member must be in the process that receives (channels' consumers
            # add their own channel), and one Redis host (no sharding).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # the subscription reads with its own 0.1 s timeout; this bounds a
                # PUBLISH or SUBSCRIBE that gets no answer (a process's publishes
                # wait for each other on one connection)
                "hosts": [{"address": REDIS_URL, "socket_timeout": 5}],
                "prefix": "yorisou",
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tasks scheduled after commit go to the broker in batches gathered for this
# long by one thread per process (core/deferred.py); 0 sends each at commit.
TASK_BATCH_SECONDS = env_int("TASK_BATCH_MS", 50) / 1000
# The queue web processes send tasks to and workers read (several installations,
# or tests, can share one Redis with different queues).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Tokyo"
# Keep Django's logging (with the redacting filter) in worker processes too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "audit-seal": {"task": "yorisou.core.tasks.audit_seal", "schedule": 30.0},
    # receipts and emails of submissions whose task was never sent
    "eforms-after-submit-sweep": {
        "task": "yorisou.eforms.tasks.after_submit_sweep",
        "schedule": 60.0 * 5,
    },
    "reform-reminders": {
        "task": "yorisou.reforms.tasks.status_report_reminders",
        "schedule": 60.0 * 60 * 6,
    },
    # Live119 recordings past their retention period are deleted (daily)
    "live119-recordings-purge": {
        "task": "yorisou.emergency.tasks.recordings_purge",
        "schedule": 60.0 * 60 * 24,
    },
}

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 8
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_NAME = "yorisou_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 2

# Login throttling (django-axes): 5 failures for one user from one address lock
# that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_SENSITIVE_PARAMETERS = ["password", "token", "otp_token", "my_number"]
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env_str("OTP_ISSUER", "Yorisou")

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

_email = email_settings(env_str("EMAIL_URL"), VAR_DIR)
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Yorisou <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "yorisou.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "yorisou.api.throttling.UserRateThrottle",
        "yorisou.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"user": "2000/hour", "anon": "100/hour"},
    "EXCEPTION_HANDLER": "yorisou.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Yorisou API",
    "DESCRIPTION": "REST API of the Yorisou digital city hall platform.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "/static/vendor/swagger-ui",
    "SWAGGER_UI_FAVICON_HREF": "/static/vendor/swagger-ui/favicon-32x32.png",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set shared by several fields.
    "ENUM_NAME_OVERRIDES": {
        "ReformStatusEnum": "yorisou.reforms.constants.Status",
        "ReformReportStateEnum": "yorisou.reforms.constants.ReportState",
        "ApplicationStateEnum": "yorisou.eforms.constants.State",
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "yorisou.core.logging.RedactingFilter"},
        "request": {"()": "yorisou.core.logging.RequestContextFilter"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "celery": {"level": "WARNING"},
        "kombu": {"level": "ERROR"},
        # aioice logs every ICE check at INFO
        "aioice": {"level": "WARNING"},
        "aiortc": {"level": "WARNING"},
    },
}

# Online applications (eforms). Uploaded files live under PRIVATE_FILES_ROOT, outside
# the web root; only views that check permissions serve them.
PRIVATE_FILES_ROOT = env_path("PRIVATE_FILES_ROOT", VAR_DIR / "private")
EFORMS = {
    "UPLOAD_MAX_BYTES": env_int("EFORMS_UPLOAD_MAX_BYTES", 10 * 1024 * 1024),
    # checked on the content, not only the name
    "UPLOAD_TYPES": env_list(
        "EFORMS_UPLOAD_TYPES",
        ["application/pdf", "image/jpeg", "image/png", "image/heic"],
    ),
    # unsubmitted drafts are deleted after this many days
    "DRAFT_DAYS": env_int("EFORMS_DRAFT_DAYS", 30),
}

# Sign-in with the My Number card through an OpenID Connect provider (the Digital
# Agency's デジタル認証アプリ or any provider that speaks the same flow: authorization
# code, PKCE S256, state and nonce). Off unless MYNUMBER_OIDC_ISSUER is set. In
# production set MYNUMBER_OIDC_* to the values the Digital Agency registered for the
# city. An ISSUER starting with "/" means a provider on this site (the demo's).
MYNUMBER_OIDC: dict[str, Any] = {
    "ISSUER": env_str("MYNUMBER_OIDC_ISSUER"),
    "CLIENT_ID": env_str("MYNUMBER_OIDC_CLIENT_ID"),
    "CLIENT_SECRET": env_str("MYNUMBER_OIDC_CLIENT_SECRET"),
    "SCOPES": env_str("MYNUMBER_OIDC_SCOPES", "openid name address birthdate gender"),
    # The callback URL registered with the provider; empty: this site's
    # /accounts/signin/mynumber/callback/ as the browser reached it.
    "REDIRECT_URI": env_str("MYNUMBER_OIDC_REDIRECT_URI"),
    # client_secret_basic, client_secret_post or none
    "TOKEN_AUTH_METHOD": env_str(
        "MYNUMBER_OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"
    ),
    "TIMEOUT": env_int("MYNUMBER_OIDC_TIMEOUT", 10),  # seconds per call
    "LEEWAY": env_int("MYNUMBER_OIDC_LEEWAY", 60),  # clock skew allowed, seconds
}
# The sample provider (yorisou.devidp, "sample デジタル認証アプリ") for the demo and
# tests, mounted at /demo-idp/. Never in production (it refuses to start with it).
YORISOU_DEMO_IDP = env_bool("YORISOU_DEMO_IDP", False)
DEMO_IDP: dict[str, Any] = {
    "ISSUER": env_str("YORISOU_DEMO_IDP_ISSUER"),  # empty: this site's /demo-idp
    "CLIENT_ID": env_str("YORISOU_DEMO_IDP_CLIENT_ID", "yorisou-demo"),
    "CLIENT_SECRET": env_str("YORISOU_DEMO_IDP_CLIENT_SECRET", "yorisou-demo-secret"),
    # empty: only this site's own callback URL is accepted
    "REDIRECT_URIS": env_list("YORISOU_DEMO_IDP_REDIRECT_URIS", []),
    "CODE_SECONDS": env_int("YORISOU_DEMO_IDP_CODE_SECONDS", 600),
    "PIN": "1234",
}

# Live119 (see docs/live119.md).
LIVE119 = {
    "INVITE_MINUTES": env_int("LIVE119_INVITE_MINUTES", 30),
    "INVITE_MAX_OPENS": env_int("LIVE119_INVITE_MAX_OPENS", 20),
    # invites per incident and per phone number within an hour
    "INVITE_RATE_PER_HOUR": env_int("LIVE119_INVITE_RATE_PER_HOUR", 5),
    # sms gateway: "outbox" (file under var/sms, the demo) or "http"
    "SMS_GATEWAY": env_str("LIVE119_SMS_GATEWAY", "outbox"),
    "SMS_HTTP_URL": env_str("LIVE119_SMS_HTTP_URL"),
    "SMS_HTTP_TOKEN": env_str("LIVE119_SMS_HTTP_TOKEN"),
    "SMS_SENDER": env_str("LIVE119_SMS_SENDER", "119"),
    # media backend: "hub" (aiortc in the web process) or another registered one
    "MEDIA_BACKEND": env_str("LIVE119_MEDIA_BACKEND", "hub"),
    # STUN/TURN: comma-separated URLs; TURN credentials from a shared secret
    "STUN_URLS": env_list("LIVE119_STUN_URLS", []),
    "TURN_URLS": env_list("LIVE119_TURN_URLS", []),
    "TURN_SECRET": env_str("LIVE119_TURN_SECRET"),
    "TURN_TTL_SECONDS": env_int("LIVE119_TURN_TTL_SECONDS", 3600),
    "RECORDINGS_ROOT": env_path(
        "LIVE119_RECORDINGS_ROOT", VAR_DIR / "private" / "live119"
    ),
    "RECORDING_RETENTION_DAYS": env_int("LIVE119_RECORDING_RETENTION_DAYS", 90),
    # map tiles: empty shows coordinates, accuracy and the address without a map
    "TILE_URL": env_str("LIVE119_TILE_URL"),
    "TILE_ATTRIBUTION": env_str("LIVE119_TILE_ATTRIBUTION"),
    # heartbeat between the web processes that finds live messages lost by the
    # channel layer and resyncs the pages (emergency/delivery.py); 0 turns it off
    "HEARTBEAT_SECONDS": env_int("LIVE119_HEARTBEAT_MS", 1000) / 1000,
}

YORISOU = {
    # Mark demo data as sample everywhere it is shown.
    "SITE_NAME": env_str("SITE_NAME", "Yorisou"),
    "CITY_NAME": env_str("CITY_NAME", ""),
}
