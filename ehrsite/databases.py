"""Database configuration: the main database and the golden database.

SQLite is the embedded default (files under EHRGYM_DATA_DIR). A DATABASE_URL of the
form postgres://user:pass@host:port/name switches both to PostgreSQL; the golden
database then lives on the same server as `<name>_golden`, so that episode databases
can later be created with `CREATE DATABASE ... TEMPLATE <name>_golden`.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

# The main database is written on every step (trajectories): write-ahead logging lets
# readers and the writer work at once, and synchronous=NORMAL commits without waiting for
# the disk on every transaction (still safe against a crash of the process). About 1.6 ms
# a commit on this kind of machine otherwise.
MAIN_SQLITE_PRAGMAS = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"


def _sqlite(path: Path, test_path: Path, *, init_command: str = "") -> dict:
    options = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    if init_command:
        options["init_command"] = init_command
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # Several threads (live server, Channels) share the test database, which an
        # in-memory SQLite database cannot do reliably: name a file explicitly.
        "TEST": {"NAME": str(test_path)},
        "OPTIONS": options,
    }


def _postgres(url: str, *, pool_size: int = 0) -> dict:
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"DATABASE_URL must name a database: {url!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": f"test_{name}"},
        # A connection pool (psycopg_pool, Django's own support): opening a PostgreSQL connection forks a server
        # process, about 7 ms on two cores, which every request paid twice before (the main database and the
        # episode's). Only the main database is pooled: the golden database must have no idle connections (a
        # copy is `CREATE DATABASE ... TEMPLATE` of it, refused while anyone is connected), and a pool per
        # episode copy would hold connections for every open episode.
        **({"OPTIONS": {"pool": {"min_size": 1, "max_size": pool_size, "timeout": 30}}} if pool_size else {}),
    }


def is_postgres_url(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://"))


def database_settings(database_url: str, data_dir: Path, *, pool_size: int = 0) -> dict:
    """DATABASES with the aliases `default` (main) and `golden`; on PostgreSQL the main database's connections
    are pooled when `pool_size` > 0."""
    if not database_url or database_url.startswith("sqlite"):
        main_path = data_dir / "ehrgym.sqlite3"
        if database_url.startswith("sqlite:///"):
            main_path = Path(database_url.removeprefix("sqlite:///"))
        return {
            "default": _sqlite(main_path, main_path.with_name("test_" + main_path.name),
                               init_command=MAIN_SQLITE_PRAGMAS),
            "golden": _sqlite(
                main_path.with_name("golden.sqlite3"),
                main_path.with_name("test_golden.sqlite3"),
            ),
        }
    if is_postgres_url(database_url):
        default = _postgres(database_url, pool_size=pool_size)
        golden = {**_postgres(database_url), "NAME": f"{default['NAME']}_golden",
                  "TEST": {"NAME": f"test_{default['NAME']}_golden"}}
        return {"default": default, "golden": golden}
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:/// or postgres://; got {database_url!r}"
    )


def unreachable_database_message(error: Exception, databases: dict) -> str:
    """What to do about a database the server cannot open, in a few lines instead of a driver traceback
    ("" when the error is not about reaching a configured PostgreSQL database)."""
    text = str(error)
    for alias, config in databases.items():
        if config.get("ENGINE") != "django.db.backends.postgresql" or f'"{config["NAME"]}"' not in text:
            continue
        host, port, user = config["HOST"] or "localhost", config["PORT"] or "5432", config["USER"] or "postgres"
        if "does not exist" in text:
            how = (f"Create it: createdb -h {host} -p {port} -U {user} {config['NAME']}"
                   if alias == "default" else "`manage.py build_golden` creates it.")
            return f"The PostgreSQL database {config['NAME']!r} ({alias}) does not exist on {host}:{port}. {how}"
    if "connection" in text and ("refused" in text or "failed" in text):
        return (f"Cannot reach PostgreSQL ({text.splitlines()[0][:200]}). Start it, fix DATABASE_URL, "
                "or unset DATABASE_URL to use the embedded SQLite default.")
    return ""
