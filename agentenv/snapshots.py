"""Copies of the golden database, one per episode, and their run-time aliases.

SQLite: the backup API copies the golden file page by page into a new file (a
consistent snapshot even if a reader has the golden file open). PostgreSQL:
`CREATE DATABASE ... TEMPLATE <golden>`, a file-level copy on the server.

Django's ConnectionHandler keeps the configured databases in `connections.settings`
and opens connections lazily, per thread, from those entries. Registering an alias is
therefore adding an entry there; every thread (and, after `ensure_registered`, every
process) can then use it. Other threads iterate over that dict at any moment (Django
resets every connection's query log when a request starts), so it is never changed in
place: a changed copy replaces it (_settings_changed).
"""

import contextlib
import copy
import hashlib
import secrets
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connections

GOLDEN = "golden"
ALIAS_PREFIX = "ep_"
EPISODE_POSTGRES_ENGINE = "agentenv.episode_postgresql"
# CREATE DATABASE ... TEMPLATE fails while anyone is connected to the template; a
# process that just closed its connection may take a moment to go away.
TEMPLATE_BUSY_RETRIES = 20
TEMPLATE_BUSY_WAIT_S = 0.05


@dataclass(frozen=True)
class DatabaseCopyInfo:
    alias: str
    name: str
    vendor: str


def golden_settings() -> dict:
    """The golden database's settings as Django uses them now (test name under tests)."""
    return connections.settings[GOLDEN]


def vendor() -> str:
    return "postgresql" if "postgresql" in golden_settings()["ENGINE"] else "sqlite"


def golden_name() -> str:
    return str(golden_settings()["NAME"])


def _copy_prefix() -> str:
    # Named after the main database so copies made by the test suite never mix with
    # a deployment's copies on the same server or in the same data directory.
    main_name = str(connections.settings["default"]["NAME"])
    return f"{main_name}_ep_" if vendor() == "postgresql" else f"{Path(main_name).stem}_ep_"


def _copy_info_of(token: str) -> DatabaseCopyInfo:
    """The alias and database name of the copy `token` names."""
    alias = f"{ALIAS_PREFIX}{token}"
    if vendor() == "postgresql":
        return DatabaseCopyInfo(alias, f"{_copy_prefix()}{token}", "postgresql")
    path = Path(settings.EHRGYM_EPISODE_DIR) / f"{_copy_prefix()}{token}.sqlite3"
    return DatabaseCopyInfo(alias, str(path), "sqlite")


def new_copy_info() -> DatabaseCopyInfo:
    return _copy_info_of(secrets.token_hex(8))


def copies_existing() -> list[DatabaseCopyInfo]:
    """Every copy of this deployment's golden database that exists now, referenced or not."""
    prefix = _copy_prefix()
    if vendor() == "postgresql":
        with _postgres_admin() as admin:
            names = [row[0] for row in admin.execute(
                "SELECT datname FROM pg_database WHERE left(datname, %s) = %s", [len(prefix), prefix])]
    else:
        folder = Path(settings.EHRGYM_EPISODE_DIR)
        # A copy is "<name>.sqlite3.partial" until it is complete; one a killed process left is a copy too.
        names = sorted({path.name.removesuffix(suffix) for suffix in (".sqlite3", ".sqlite3.partial")
                        for path in folder.glob(f"{prefix}*{suffix}")})
    return [_copy_info_of(name.removeprefix(prefix)) for name in names]


# --- Creating and dropping copies ----------------------------------------------------


def _postgres_admin():
    """An autocommit connection to the `postgres` maintenance database (CREATE/DROP
    DATABASE cannot run inside a transaction or while connected to the target)."""
    import psycopg

    gold = golden_settings()
    return psycopg.connect(
        dbname="postgres",
        user=gold["USER"] or None,
        password=gold["PASSWORD"] or None,
        host=gold["HOST"] or None,
        port=gold["PORT"] or None,
        autocommit=True,
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_create(info: DatabaseCopyInfo) -> None:
    """Make the database `info.name` as a copy of the golden database."""
    if info.vendor == "sqlite":
        _sqlite_copy(golden_name(), info.name)
    else:
        _postgres_copy(golden_name(), info.name)


def _sqlite_copy(source: str, target: str) -> None:
    if not Path(source).exists():
        raise FileNotFoundError(f"golden database {source} does not exist; run `manage.py build_golden`")
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if src.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            # Committed pages may still be in the -wal file: only SQLite's backup reads them.
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
            return
        # Rollback-journal mode (the golden build's): a read transaction holds SQLite's SHARED lock, so no writer
        # can commit while the file is copied byte for byte; that is about six times faster than the backup API
        # (0.016 s against 0.096 s for the 22 MB golden database of the shipped population).
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        partial = Path(f"{target}.partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
    finally:
        src.rollback()
        src.close()


def _postgres_copy(source: str, target: str) -> None:
    import psycopg

    # Our own idle connection to the golden database would block the copy.
    connections[GOLDEN].close()
    with _postgres_admin() as admin:
        # PostgreSQL 15 and later copy through the WAL by default (WAL_LOG): every page of the copy is logged and
        # passes through shared buffers. Under a burst of copies, every commit on the server then waits behind that
        # WAL (resets measured waiting 14 s on WALSync, 32 at once, 2 cores), and the next DROP DATABASE's forced
        # checkpoint writes it all again. FILE_COPY copies the files and logs one record (what older versions do).
        strategy = " STRATEGY FILE_COPY" if admin.info.server_version >= 150000 else ""
        for attempt in range(TEMPLATE_BUSY_RETRIES):
            try:
                admin.execute(f"CREATE DATABASE {_quote(target)} TEMPLATE {_quote(source)}{strategy}")
                return
            except psycopg.errors.ObjectInUse:
                if attempt == TEMPLATE_BUSY_RETRIES - 1:
                    raise
                time.sleep(TEMPLATE_BUSY_WAIT_S)


@contextlib.contextmanager
def refill_lock():
    """Held by one pool refill at a time across this deployment's processes (web processes, Celery workers) on
    PostgreSQL, where each copy made with FILE_COPY forces two checkpoints: refills side by side multiplied the
    checkpoints that agents' commits wait behind. A refill that waits for it then finds the pool (mostly) full.
    On SQLite only one process serves, and its refills already run one at a time."""
    if vendor() != "postgresql":
        yield
        return
    key = int.from_bytes(hashlib.sha256(f"ehrgym-pool-refill:{golden_name()}".encode()).digest()[:8], "big",
                         signed=True)
    # Its own connection: the lock ends with it, also when the process dies holding it.
    with _postgres_admin() as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (key,))
        yield


def copy_drop(info: DatabaseCopyInfo) -> None:
    """Drop the copy and forget its alias; dropping a copy that is gone is fine."""
    unregister(info.alias)
    if info.vendor == "sqlite":
        for suffix in ("", "-journal", "-wal", "-shm", ".partial"):
            Path(info.name + suffix).unlink(missing_ok=True)
    else:
        with _postgres_admin() as admin:
            # FORCE ends connections other threads or processes still hold to it.
            admin.execute(f"DROP DATABASE IF EXISTS {_quote(info.name)} WITH (FORCE)")


def copy_exists(info: DatabaseCopyInfo) -> bool:
    if info.vendor == "sqlite":
        return Path(info.name).exists()
    with _postgres_admin() as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [info.name]).fetchone() is not None


# --- Run-time aliases ------------------------------------------------------------------


def register(alias: str, name: str) -> None:
    """Make `alias` a Django database alias for the copy `name`."""
    entry = copy.deepcopy(golden_settings())
    entry["NAME"] = _connection_name(alias, name, entry["ENGINE"])
    # The test runner must never try to create or flush a test database for it.
    entry["TEST"] = {**entry.get("TEST", {}), "NAME": name, "MIGRATE": False}
    if entry["ENGINE"].endswith("sqlite3"):
        # A copy lives for one episode and is thrown away after: its commits need not wait
        # for the disk (a machine crash loses the episode either way).
        entry["OPTIONS"] = {**entry.get("OPTIONS", {}), "init_command": "PRAGMA synchronous=OFF;"}
    elif alias.startswith(ALIAS_PREFIX):
        # Django's backend, with the copy's connection kept between the episode's requests.
        entry["ENGINE"] = EPISODE_POSTGRES_ENGINE
    _settings_changed(alias, entry)


_settings_lock = threading.Lock()


def _settings_changed(alias: str, entry: dict | None) -> dict | None:
    """Add `entry` as `alias` (None: remove the alias) in a copy of `connections.settings` that then replaces it: a
    request starting in another thread meanwhile iterates over the old dict, which an in-place change would break
    ("dictionary changed size during iteration", a 500 seen with 64 agents resetting at once). Returns the entry
    the alias had before, if any."""
    with _settings_lock:
        changed = dict(connections.settings)
        previous = changed.pop(alias, None)
        if entry is not None:
            changed[alias] = entry
        connections.settings = changed
    return previous


def ensure_registered(alias: str, name: str) -> None:
    """Register the alias in this process if it is not yet (another process, e.g. a
    Celery worker or a second web worker, may have created the episode)."""
    current = connections.settings.get(alias)
    if current is None or current["NAME"] != _connection_name(alias, name, current["ENGINE"]):
        register(alias, name)


def _connection_name(alias: str, name: str, engine: str) -> str:
    """What Django opens for the copy `name`. A SQLite episode copy is opened read-write but never created: a step
    that read its episode just before a close dropped the file would otherwise make a new empty file that nothing
    refers to (Django opens SQLite names as URIs). Other aliases bound the same way (the golden database, read by
    task sampling) keep their configured name."""
    if engine.endswith("sqlite3") and alias.startswith(ALIAS_PREFIX):
        return f"file:{quote(name)}?mode=rw"
    return name


def is_registered(alias: str) -> bool:
    return alias in connections.settings


def unregister(alias: str) -> None:
    """Close this thread's connection to the alias (and the one kept for it) and forget it."""
    if hasattr(connections._connections, alias):
        connections[alias].close()
        del connections[alias]
    removed = _settings_changed(alias, None) if alias in connections.settings else None
    if removed is not None and removed.get("ENGINE") == EPISODE_POSTGRES_ENGINE:
        from agentenv.episode_postgresql.base import forget

        forget(alias)


def release_thread_connection(alias: str) -> None:
    """Close this thread's connection to a run-time alias.

    Django closes connections at the end of a request only for aliases still in
    settings; an alias unregistered by another thread would leave this thread's
    connection open for the thread's lifetime, so connections to episode databases
    are not kept past the work that needed them.
    """
    if hasattr(connections._connections, alias):
        conn = connections[alias]
        if not conn.in_atomic_block:
            conn.close()
            del connections[alias]
