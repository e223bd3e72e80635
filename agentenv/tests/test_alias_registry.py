"""Registering and forgetting episode aliases while other threads start requests: Django iterates over every
configured alias when a request starts (its query log reset), and a registration changing that dict in place
under it was a 500 ("dictionary changed size during iteration") with 64 agents resetting at once."""

import threading
import time

from django.db import connections

from agentenv import snapshots


def test_requests_starting_while_aliases_come_and_go_never_see_the_registry_change_under_them():
    aliases = [f"{snapshots.ALIAS_PREFIX}registry{n}" for n in range(400)]
    for alias in aliases[:200]:
        snapshots.register(alias, f"/nonexistent/{alias}.sqlite3")
    errors, stop = [], threading.Event()

    def churn():
        while not stop.is_set():
            for alias in aliases[200:]:
                snapshots.register(alias, f"/nonexistent/{alias}.sqlite3")
            for alias in aliases[200:]:
                snapshots.unregister(alias)

    def request_starts():
        while not stop.is_set():
            try:
                connections.all(initialized_only=True)  # what django.db.reset_queries does at every request
            except RuntimeError as error:
                errors.append(error)
                return

    threads = [threading.Thread(target=churn), threading.Thread(target=request_starts)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
        for alias in aliases:
            snapshots.unregister(alias)

    assert errors == []
    assert not any(alias in connections.settings for alias in aliases)
