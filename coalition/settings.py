"""One settings module, driven by the environment.

With nothing set it runs a local site: SQLite, Celery tasks run eagerly in
process, mail printed to the console. DATABASE_URL, REDIS_URL and EMAIL_URL
switch to PostgreSQL, a real broker + shared cache, and real SMTP.
"""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
# The key in the repository is public: anyone could sign links and cookies with it. It serves only `make run`
# (DEBUG=1) and the tests, which run with DEBUG off like production. pytest-django imports these settings inside
# pytest, and pytest names the running test in PYTEST_CURRENT_TEST for the processes a test starts (the real
# worker, a second Django process); no production process has either.
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"
_TESTING = "pytest" in sys.modules or "PYTEST_CURRENT_TEST" in os.environ
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEV_SECRET
if SECRET_KEY == _DEV_SECRET and (env.bool("HTTPS", default=False) or not (DEBUG or _TESTING)):
    raise ImproperlyConfigured(
        "Set SECRET_KEY: with DEBUG off or HTTPS on the site needs a secret key of its own, not the development "
        "key in the repository (for local development set DEBUG=1)."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
SITE_URL = env.url("SITE_URL", default="http://127.0.0.1:8000").geturl().rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "coalition.accounts.apps.OrganiserAdminConfig",  # Django's admin, asking organisers for a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's own widget templates, for the project-wide form renderer below
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "coalition.core",
    "coalition.letters",
    "coalition.signatures",
    "coalition.mail",
    "coalition.accounts",
    "coalition.registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the others, so that it sees the answer's final cookies and Vary (coalition/core/http.py).
    "coalition.core.middleware.SharedCacheMiddleware",
    "coalition.registry.middleware.reservation_headers",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language is in the address (i18n_patterns in urls.py); elsewhere it follows Accept-Language.
    "coalition.core.middleware.LocaleMiddleware",
    # After the language is chosen, so that its answer is in the reader's language; before anything reads the query.
    "coalition.core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that it runs inside the others: the language is active, and the page it writes still gets its
    # Content-Length, CSRF cookie and Content-Security-Policy from them.
    "coalition.core.middleware.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "coalition.urls"
WSGI_APPLICATION = "coalition.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coalition.core.context_processors.language_versions",
            ],
        },
    },
]

# Fields and forms render through templates/forms/ (the sign form's layout) everywhere, allauth's pages included.
FORM_RENDERER = "coalition.core.forms.SiteFormRenderer"

# --- Database -------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# A kept connection is checked before its first query of a request or task, so a database restart costs a reconnect,
# not an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind a pooler that gives each transaction another session (PgBouncer's transaction mode), a server-side cursor
# cannot outlive its transaction: Django's documented setting for that case makes the organisers' exports
# (QuerySet.iterator()) read with a client-side cursor instead.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_TRANSACTION_POOLER", default=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a worker process in the test suite sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test_db.sqlite3")}
    # Writers queue for the lock instead of failing with "database is locked" when people sign at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_CACHE = {
    "BACKEND": "django_redis.cache.RedisCache",
    "KEY_PREFIX": "coalition",
    # A dead cache must not stop people signing: reads miss, writes are dropped, both logged.
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2, "IGNORE_EXCEPTIONS": True},
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if REDIS_URL:
    CACHES = {"default": {**REDIS_CACHE, "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: run tasks in the request, after commit, as a worker would.
    CELERY_TASK_ALWAYS_EAGER = True

CELERY_TASK_DEFAULT_QUEUE = "default"
# Confirmations and sign-in codes on `mail`, bulk mail (coalition updates) on `bulk`; a worker started with
# `-Q mail,default,bulk` reads them in that order (queue_order_strategy below).
CELERY_TASK_ROUTES = {
    "coalition.mail.tasks.send_bulk_mail": {"queue": "bulk"},
    # Writing a coalition update's outbox rows is bulk work too: it must not take a process from confirmations.
    "coalition.accounts.tasks.coalition_update_fan_out": {"queue": "bulk"},
    "coalition.mail.tasks.*": {"queue": "mail"},
    # A sign form submission becomes a signature and its confirmation mail: as urgent as the mail itself.
    "coalition.signatures.tasks.process_submission": {"queue": "mail"},
    "coalition.signatures.tasks.process_waiting_submissions": {"queue": "mail"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes a worker's database connection before and after every task, whatever CONN_MAX_AGE says
# (celery#9824): a new PostgreSQL backend per task, whose start and cold caches took up to a third of two cores in a
# surge (BENCHMARKS.md). With CELERY_DB_REUSE_MAX it closes one only every so many tasks, and coalition/celery.py
# applies CONN_MAX_AGE instead, as Django does for requests (with CONN_MAX_AGE=0, the default, a task still gets a
# connection of its own).
CELERY_DB_REUSE_MAX = 1000
# Two pool processes a core (`--concurrency` overrides it): a process sending mail spends much of its time waiting on
# SMTP and the database, and with one process a core, a worker sharing its host with the site during a surge got less
# CPU than the site and fell behind it (BENCHMARKS.md). Confirmations come first, for the CPU too.
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=2 * (os.cpu_count() or 1))
if CELERY_WORKER_CONCURRENCY < 1:
    raise ImproperlyConfigured("CELERY_WORKER_CONCURRENCY must be at least 1")
# A request must never hang on a dead broker: the outbox row is already saved
# and the periodic job will enqueue it once the broker is back.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # A message taken by a worker that died is redelivered after this many seconds.
    # Longer than the slowest mail task (SMTP timeout), so a slow send is not delivered twice.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
    # kombu's Redis transport asks for the worker's queues in the order given (-Q mail,default,bulk) instead of
    # rotating them: a waiting confirmation is always taken before a coalition update.
    "queue_order_strategy": "priority",
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "requeue-owed-mail": {
        "task": "coalition.mail.tasks.requeue_owed_mail",
        "schedule": timedelta(minutes=1),
        "options": {"queue": "mail"},
    },
    "process-waiting-submissions": {
        "task": "coalition.signatures.tasks.process_waiting_submissions",
        "schedule": timedelta(minutes=1),
    },
    "purge-unconfirmed-signatures": {
        "task": "coalition.signatures.tasks.purge_unconfirmed_signatures",
        "schedule": timedelta(hours=1),
    },
    "reconcile-signature-counts": {
        "task": "coalition.signatures.tasks.reconcile_signature_counts",
        "schedule": timedelta(minutes=15),
    },
    # Hourly so that a day missed while the worker was down is still taken that day; once a day in effect.
    "snapshot-public-list": {
        "task": "coalition.signatures.tasks.snapshot_public_list",
        "schedule": timedelta(hours=1),
    },
    "recheck-channel-proofs": {
        "task": "coalition.signatures.tasks.recheck_channel_proofs",
        "schedule": timedelta(hours=1),
    },
    "purge-withdrawn-signatures": {
        "task": "coalition.signatures.tasks.purge_withdrawn_signatures",
        "schedule": timedelta(hours=1),
    },
    "resume-coalition-updates": {
        "task": "coalition.accounts.tasks.resume_coalition_updates",
        "schedule": timedelta(minutes=5),
    },
    # Each picks only what is older than CHANNEL_RECHECK_INTERVAL / REGISTRY_SITE_RECHECK_INTERVAL.
    "recheck-registry-places": {"task": "coalition.registry.tasks.recheck_places", "schedule": timedelta(hours=1)},
    "recheck-registry-sites": {"task": "coalition.registry.tasks.recheck_sites", "schedule": timedelta(hours=1)},
}
# How often a member's own site is read again to see whether it still says what they declared.
REGISTRY_SITE_RECHECK_INTERVAL = timedelta(days=env.int("REGISTRY_SITE_RECHECK_DAYS", default=7))

# --- Mail -----------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Creators Coalition on AI <letter@creatorscoalition.example>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Auth (allauth) ---------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "coalition.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
# allauth's defaults, applied to every login, including the admin's (see urls.py), except the lockout after failed
# passwords: allauth's counts them per account from anywhere, so anyone could lock an organiser out. Here it is per
# account and network (AccountAdapter.pre_authenticate), under allauth's own cap per network.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip",
    "login_failed_account_network": env.str("LOGIN_FAILED_RATE", default="5/5m/key"),
}
# No sign-up with a password: members' accounts open with the first code mailed to a signer, organisers' with
# `manage.py createorganiser` (AccountAdapter.is_open_for_signup).
# Members sign in with a code mailed to them; organisers may use a password instead.
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env.int("LOGIN_CODE_TIMEOUT_SECONDS", default=600)
ACCOUNT_FORMS = {"request_login_code": "coalition.accounts.forms.MemberLoginCodeForm"}
# Lazy: allauth adds it to each subject in the reader's language.
ACCOUNT_EMAIL_SUBJECT_PREFIX = format_lazy("[{}] ", gettext_lazy("Creators Coalition on AI"))
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
# Organisers' second factor: an authenticator app, with recovery codes for a lost phone. The admin opens only to
# accounts that have one (coalition/accounts/sites.py). WebAuthn needs the fido2 package and a browser ceremony the
# tests cannot run offline, so it is left out.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Creators Coalition on AI"
# A code from the step before or after is accepted too: a phone's clock drifts, and typing a code takes time.
MFA_TOTP_TOLERANCE = 1
LOGIN_REDIRECT_URL = "accounts:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18n -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
# One date format per language (coalition/formats): human dates read DATE_FORMAT or DATETIME_FORMAT, never a pattern.
FORMAT_MODULE_PATH = ["coalition.formats"]
USE_TZ = True

# --- Static -----------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# `manage.py collectstatic` writes here; nginx serves it (deploy/nginx.conf), whitenoise when there is no nginx.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    # Files the site writes (the daily snapshots of the list, served through /press/snapshots/): in the database
    # every web host shares (coalition/core/storage.py), or an object store (README).
    "default": {"BACKEND": env.str("FILE_STORAGE_BACKEND", default="coalition.core.storage.DatabaseStorage")},
    "staticfiles": {
        # In production, names with their content's hash and compressed copies, so that they can be cached for a
        # year; that needs `manage.py collectstatic` first. Locally (DEBUG) and in tests, the files as they are.
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = True

# --- Security ---------------------------------------------------------------
# HTTPS=1 in production, behind a proxy that sets X-Forwarded-Proto.
HTTPS = env.bool("HTTPS", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "coalition.core.views.csrf_failure"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# No report-only policy. Spelled out because django-csp reads it on every response.
CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# --- Shared HTTP cache ----------------------------------------------------------
# How long nginx (deploy/nginx.conf), a CDN or a browser may reuse a page that is the same for every anonymous
# reader (coalition/core/http.py): a new signature shows on them within this many seconds.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=10)

# --- Abuse --------------------------------------------------------------------
# Rate-limit counters (coalition/signatures/ratelimits.py) live in the shared Redis, so they hold across workers;
# without Redis, in this process's memory. With Redis down, people can sign (the outage shows on /healthz).
RATELIMIT_STORAGE_URI = env.str("RATELIMIT_STORAGE_URI", default=REDIS_URL or "memory://")
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Behind a proxy, the client's address is in a header the proxy sets, e.g. HTTP_X_REAL_IP.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="REMOTE_ADDR")
# (burst, sustained) per client network and per email domain; the admin's "under attack" switch uses the tight sets.
# Above the review rates a signature is still accepted, and held for an organiser once confirmed ("busy network":
# a meeting on one Wi-Fi, phones behind a carrier's shared address); only above the flood rates is it refused (429).
SIGN_RATES = {
    "ip": env.list("SIGN_RATE_IP", default=["10/m", "60/h"]),
    "domain": env.list("SIGN_RATE_DOMAIN", default=["300/m", "5000/h"]),
}
SIGN_RATES_UNDER_ATTACK = {
    "ip": env.list("SIGN_RATE_IP_UNDER_ATTACK", default=["3/m", "10/h"]),
    "domain": env.list("SIGN_RATE_DOMAIN_UNDER_ATTACK", default=["30/m", "300/h"]),
}
SIGN_FLOOD_RATES = {
    "ip": env.list("SIGN_FLOOD_RATE_IP", default=["100/m", "1000/h"]),
    "domain": env.list("SIGN_FLOOD_RATE_DOMAIN", default=["1000/m", "20000/h"]),
}
SIGN_FLOOD_RATES_UNDER_ATTACK = {
    "ip": env.list("SIGN_FLOOD_RATE_IP_UNDER_ATTACK", default=["100/m", "300/h"]),
    "domain": env.list("SIGN_FLOOD_RATE_DOMAIN_UNDER_ATTACK", default=["300/m", "3000/h"]),
}
for _rates in (
    *SIGN_RATES.values(),
    *SIGN_RATES_UNDER_ATTACK.values(),
    *SIGN_FLOOD_RATES.values(),
    *SIGN_FLOOD_RATES_UNDER_ATTACK.values(),
):
    # A mistyped rate would otherwise surface as an error on the first signature.
    if not _rates or not all(re.fullmatch(r"[1-9][0-9]*/[0-9]*[smhd]", rate) for rate in _rates):
        raise ImproperlyConfigured(f"Sign rates look like 10/m, 60/h or 100/5m (s, m, h, d); got {_rates}.")
# A person reads the letter before signing; a bot posts at once.
SIGN_MIN_SECONDS = env.int("SIGN_MIN_SECONDS", default=3)
SIGN_FORM_MAX_AGE = timedelta(days=1)
# Confirmation and notice mails to one address per 24 hours, whoever submits it.
MAIL_MAX_PER_ADDRESS_PER_DAY = env.int("MAIL_MAX_PER_ADDRESS_PER_DAY", default=3)
UNCONFIRMED_RETENTION = timedelta(days=env.int("UNCONFIRMED_RETENTION_DAYS", default=30))
# A signer who withdrew can take it back from their page for this long; their details are kept at least as long.
WITHDRAWAL_UNDO = timedelta(days=env.int("WITHDRAWAL_UNDO_DAYS", default=7))
if not timedelta(0) <= WITHDRAWAL_UNDO <= UNCONFIRMED_RETENTION:
    raise ImproperlyConfigured("WITHDRAWAL_UNDO_DAYS must be between 0 and UNCONFIRMED_RETENTION_DAYS.")

# --- The product --------------------------------------------------------------
COALITION_LETTER_SLUG = env.str("COALITION_LETTER_SLUG", default="creators-coalition-on-ai")
SIGNATURE_TOKEN_TTL = timedelta(days=7)
# First confirmation mail plus resends, per address and letter: no mail-bombing through the form.
SIGNATURE_MAX_MAILS = env.int("SIGNATURE_MAX_MAILS", default=5)
SIGNATORIES_PER_PAGE = 50
# A TrueType font with accents for the share cards; empty or missing: Pillow's bundled font, ASCII only.
SHARE_CARD_FONT = env.str("SHARE_CARD_FONT", default="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# Proof of channel: one fetch of a creator's page is bounded in time and size, and repeated now and then.
CHANNEL_FETCH_TIMEOUT = env.int("CHANNEL_FETCH_TIMEOUT", default=10)
CHANNEL_FETCH_MAX_BYTES = env.int("CHANNEL_FETCH_MAX_BYTES", default=2_000_000)
CHANNEL_RECHECK_INTERVAL = timedelta(days=env.int("CHANNEL_RECHECK_DAYS", default=7))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
MAIL_RETRY_BASE_SECONDS = env.int("MAIL_RETRY_BASE_SECONDS", default=30)
# A claim on an outbox row older than this belongs to a worker that died mid-send.
MAIL_CLAIM_TIMEOUT = timedelta(seconds=env.int("MAIL_CLAIM_TIMEOUT", default=600))
# One worker claims up to this many owed mails at once and sends them over one SMTP connection.
MAIL_BATCH_SIZE = env.int("MAIL_BATCH_SIZE", default=50)
# Coalition updates and other bulk mail, mails a second in all (every worker together; mail/pacing.py);
# confirmations are never held behind them.
MAIL_BULK_RATE = env.float("MAIL_BULK_RATE", default=20.0)
if MAIL_BATCH_SIZE < 1 or not MAIL_BULK_RATE > 0:
    raise ImproperlyConfigured("MAIL_BATCH_SIZE must be at least 1 and MAIL_BULK_RATE above 0")
# /healthz answers 503 when a confirmation or sign-in code has waited longer than this.
MAIL_LAG_ALERT_SECONDS = env.int("MAIL_LAG_ALERT_SECONDS", default=300)
