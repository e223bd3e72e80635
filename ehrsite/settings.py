"""EHRGym settings. Everything deployment-specific comes from the environment.

Safe defaults: SQLite files under ./var, Celery tasks run in-process, DEBUG off.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from ehrsite.connection_budget import api_requests_default, idle_episode_connections_default
from ehrsite.databases import database_settings
from ehrsite.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("EHRGYM_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
FIXTURES_DIR = BASE_DIR / "fixtures"

DEBUG = env_bool("EHRGYM_DEBUG", False)
SECRET_KEY = env_str("EHRGYM_SECRET_KEY")
if not SECRET_KEY:
    # A local, per-checkout key: fine for the embedded single-machine default.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("EHRGYM_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("EHRGYM_CSRF_TRUSTED_ORIGINS", [])

# --- HTTPS (off by default: `make run` serves plain HTTP on loopback) ----------------------
# Behind TLS, set these; `manage.py check --deploy` is clean with all of them on.
SECURE_SSL_REDIRECT = env_bool("EHRGYM_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("EHRGYM_SECURE_COOKIES", False)
SECURE_HSTS_SECONDS = env_int("EHRGYM_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("EHRGYM_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("EHRGYM_HSTS_PRELOAD", False)
if env_bool("EHRGYM_BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself: otherwise a client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# --- Sign-in guard (ehrsite/login_guard.py) ------------------------------------------------
AUTHENTICATION_BACKENDS = ["ehrsite.login_guard.GuardedModelBackend"]
EHRGYM_LOGIN_MAX_FAILURES = env_int("EHRGYM_LOGIN_MAX_FAILURES", 5, minimum=1)
EHRGYM_LOGIN_LOCKOUT_SECONDS = env_int("EHRGYM_LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# The published demo passwords work on a local demo; where the site is reachable from elsewhere (a host
# beyond loopback in EHRGYM_ALLOWED_HOSTS) and debug is off, they are refused unless allowed here.
EHRGYM_ALLOW_DEMO_PASSWORDS = env_bool("EHRGYM_ALLOW_DEMO_PASSWORDS", False)

EHRGYM_CONTENT_SECURITY_POLICY = env_str(
    "EHRGYM_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
EHRGYM_PERMISSIONS_POLICY = env_str(
    "EHRGYM_PERMISSIONS_POLICY",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
)

INSTALLED_APPS = [
    "daphne",  # runserver serves ASGI (Channels) when daphne comes first
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "channels",
    "clinical",
    "orders",
    "notes",
    "inbasket",
    "seeddata",
    "harness",
    "agentenv",
    "fhirapi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ehrsite.security_headers.SecurityHeadersMiddleware",
    "ehrsite.nul_bytes.NulBytesMiddleware",
    "ehrsite.body_size.BodySizeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ehrsite.errors.DatabaseFullMiddleware",
]

ROOT_URLCONF = "ehrsite.urls"
WSGI_APPLICATION = "ehrsite.wsgi.application"
ASGI_APPLICATION = "ehrsite.asgi.application"

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
            ],
        },
    },
]

# PostgreSQL only: connections to the main database kept open and shared by the web server's threads (0 opens one
# per request). The web server (ehrsite/asgi.py) defaults it to the API's concurrency limit (each API request holds
# one) plus 4 for WebSockets, the reaper and the pool refill (ehrsite/connection_budget.py). Everything else
# (commands, Celery workers, tests) opens its own: a pool's open connections must never be inherited by a forked
# process (Celery's prefork workers, the tests' server process), which would then share their sockets with its parent.
EHRGYM_DB_POOL_SIZE = env_int("EHRGYM_DB_POOL_SIZE", 0, minimum=0)
DATABASES = database_settings(env_str("DATABASE_URL"), DATA_DIR, pool_size=EHRGYM_DB_POOL_SIZE)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clinical:patient_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("EHRGYM_TIME_ZONE", "America/New_York")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "staticfiles"  # collectstatic target, for deployments
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve static files straight from the app folders: `make run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_PARSER_CLASSES": [
        "ehrsite.nul_bytes.NulSafeJSONParser",
        "ehrsite.nul_bytes.NulSafeFormParser",
        "ehrsite.nul_bytes.NulSafeMultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

# Redis when REDIS_URL is set (scale-out); otherwise tasks run in-process and
# Channels uses an in-memory layer (embedded default, one process).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(f"REDIS_URL must start with redis:// or rediss://; got {REDIS_URL!r}")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_TIME_LIMIT = env_int("EHRGYM_CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Where build_golden loads the default population from.
EHRGYM_POPULATION_DIR = Path(env_str("EHRGYM_POPULATION_DIR", str(FIXTURES_DIR / "population")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("EHRGYM_LOG_LEVEL", "WARNING")},
}

# --- Agent environment (agentenv): episode databases, REST API, warm pool ----------------
INSTALLED_APPS += ["rest_framework.authtoken", "drf_spectacular", "drf_spectacular_sidecar"]
# EHR apps' queries go to the bound episode's copy of the golden database.
DATABASE_ROUTERS = ["agentenv.routing.EpisodeRouter"]
# After authentication: binds requests of an episode's browser to its database.
MIDDLEWARE += ["agentenv.middleware.EpisodeBindingMiddleware"]
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "agentenv.authentication.TokenOrBearerAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "EHRGym API",
    "DESCRIPTION": "Reset, step and inspect isolated EHR episodes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc from the sidecar package: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # 3.1: the action schemas are JSON Schema (pydantic), where "null" is a type.
    "OAS_VERSION": "3.1.0",
    # The API is JSON: only JSON bodies are documented (an action is a nested object, which no form can carry).
    "PARSER_WHITELIST": ["ehrsite.nul_bytes.NulSafeJSONParser"],
    # The episode's mode appears in the reset request and the episode state: one enum.
    "ENUM_NAME_OVERRIDES": {"EpisodeModeEnum": "agentenv.models.Episode.Mode", "ResetModeEnum": ["api", "browser"]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "agentenv.openapi.document_common_errors",
    ],
}
# Agent API requests (and OpenEnv WebSocket messages) one process runs at once; more wait their turn
# (agentenv/concurrency.py). Each holds up to two database connections. The default is the server's 16, shared by its
# web processes (ehrsite/connection_budget.py).
EHRGYM_MAX_CONCURRENT_API_REQUESTS = env_int("EHRGYM_MAX_CONCURRENT_API_REQUESTS", api_requests_default(), minimum=1)
# PostgreSQL: connections to episode copies kept open between an episode's requests, per process (past the bound, the
# least recently used closes first if it has idled a few seconds), and how long one may wait unused
# (agentenv/episode_postgresql/base.py). 0 closes each at once.
# The default is what a default PostgreSQL's connections leave (ehrsite/connection_budget.py).
EHRGYM_EPISODE_IDLE_CONNECTIONS = env_int("EHRGYM_EPISODE_IDLE_CONNECTIONS", idle_episode_connections_default(),
                                          minimum=0)
EHRGYM_EPISODE_IDLE_CONNECTION_SECONDS = env_int("EHRGYM_EPISODE_IDLE_CONNECTION_SECONDS", 60, minimum=1)
# Ready copies kept in the warm pool; 0 makes every reset copy the golden database.
EHRGYM_POOL_SIZE = env_int("EHRGYM_POOL_SIZE", 4, minimum=0)
# The pool grows ahead of demand: to as many copies as resets in the last EHRGYM_POOL_DEMAND_WINDOW_SECONDS, up to
# EHRGYM_POOL_MAX_SIZE (each costs the golden database's size on disk), and back to EHRGYM_POOL_SIZE when it falls.
EHRGYM_POOL_MAX_SIZE = max(env_int("EHRGYM_POOL_MAX_SIZE", 32, minimum=0), EHRGYM_POOL_SIZE)
EHRGYM_POOL_DEMAND_WINDOW_SECONDS = env_int("EHRGYM_POOL_DEMAND_WINDOW_SECONDS", 60, minimum=1)
# Copies a refill makes at once (a copy is mostly disk and database-server work).
EHRGYM_POOL_REFILL_WORKERS = env_int("EHRGYM_POOL_REFILL_WORKERS", 2, minimum=1)
# Without a Celery broker, refill in a background thread rather than inside the reset.
EHRGYM_POOL_REFILL_IN_BACKGROUND = env_bool("EHRGYM_POOL_REFILL_IN_BACKGROUND", True)
# The largest action a step takes (its JSON), and the largest OpenEnv WebSocket message: an action is stored with
# its step, so one bigger than any sensible note is refused rather than kept.
EHRGYM_MAX_ACTION_BYTES = env_int("EHRGYM_MAX_ACTION_BYTES", 65536, minimum=1024)
EHRGYM_MAX_WS_MESSAGE_BYTES = env_int("EHRGYM_MAX_WS_MESSAGE_BYTES", 1048576, minimum=1024)
# Idle time after which the reaper closes an episode and drops its database.
EHRGYM_EPISODE_TTL_SECONDS = env_int("EHRGYM_EPISODE_TTL_SECONDS", 3600, minimum=1)
# An episode still being created, or a pool copy still being made, this long after it began belongs to a process
# that died: the reaper ends it and drops its database.
EHRGYM_STALE_CREATE_SECONDS = env_int("EHRGYM_STALE_CREATE_SECONDS", 600, minimum=1)
# Without Redis (no Celery beat) the server process reaps idle episodes itself this often (at most half the TTL);
# 0 turns that off.
EHRGYM_REAPER_INTERVAL_SECONDS = env_int("EHRGYM_REAPER_INTERVAL_SECONDS", 60, minimum=0)
# Reads of the main database's FHIR API (/fhir/r4/) without a token, for harnesses that send none (MedAgentBench's).
EHRGYM_FHIR_PUBLIC_READS = env_bool("EHRGYM_FHIR_PUBLIC_READS", False)
# Episodes holding a database at once; further resets get 503 + Retry-After.
EHRGYM_MAX_EPISODES = env_int("EHRGYM_MAX_EPISODES", 64, minimum=1)
EHRGYM_DEFAULT_STEP_LIMIT = env_int("EHRGYM_DEFAULT_STEP_LIMIT", 50, minimum=1)
# SQLite episode copies live here (PostgreSQL copies are databases on the server).
EHRGYM_EPISODE_DIR = Path(env_str("EHRGYM_EPISODE_DIR", str(DATA_DIR / "episodes")))
CELERY_BEAT_SCHEDULE = {
    "agentenv-episodes-reap": {"task": "agentenv.episodes_reap", "schedule": 60.0},
    # Also refill on a timer: a reset whose refill task was lost must not leave the pool empty.
    "agentenv-pool-refill": {"task": "agentenv.pool_refill", "schedule": 30.0},
}

# --- Browser mode, OpenEnv and the spectator view (agentenv) ------------------------------
# Where an episode's browser reaches the EHR (this server as the browsers see it; the grid
# nodes must reach it too when EHRGYM_SELENIUM_REMOTE_URL is set).
EHRGYM_BROWSER_BASE_URL = env_str("EHRGYM_BROWSER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if not EHRGYM_BROWSER_BASE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"EHRGYM_BROWSER_BASE_URL must start with http:// or https://; got {EHRGYM_BROWSER_BASE_URL!r}")
# Started, blank browsers each process keeps ready, so a browser-mode reset never waits for one to start.
EHRGYM_BROWSER_POOL_SIZE = env_int("EHRGYM_BROWSER_POOL_SIZE", 2, minimum=0)
# Browser episodes at once (each browser holds ~200 MB); further browser resets get 503. 0: a server for API episodes
# only (browser resets get 400), e.g. several web processes without a Selenium Grid (python -m ehrsite.serve).
EHRGYM_MAX_BROWSER_EPISODES = env_int("EHRGYM_MAX_BROWSER_EPISODES", 8, minimum=0)
# A Selenium Grid (http://host:4444) for the browsers instead of Chromium on this machine.
EHRGYM_SELENIUM_REMOTE_URL = env_str("EHRGYM_SELENIUM_REMOTE_URL")
if EHRGYM_SELENIUM_REMOTE_URL and not EHRGYM_SELENIUM_REMOTE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"EHRGYM_SELENIUM_REMOTE_URL must start with http:// or https://; got {EHRGYM_SELENIUM_REMOTE_URL!r}")
EHRGYM_CHROMIUM = Path(env_str("EHRGYM_CHROMIUM", "/usr/bin/chromium"))
EHRGYM_CHROMEDRIVER = Path(env_str("EHRGYM_CHROMEDRIVER", "/usr/bin/chromedriver"))
# The API refuses the Django sessions made for episode browsers (the agent drives those).
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] = [
    "agentenv.authentication.TokenOrBearerAuthentication",
    "agentenv.browser.isolation.ClinicianSessionAuthentication",
]
# Spectators of an episode may be served by another process than its steps: Redis carries
# the step messages between them when REDIS_URL is set.
if REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
