"""A task's instances are computed once per process, however many resets ask for them at the same moment: the first
burst of resets after a server started computed them in every request at once (harness/sampling._entries_once)."""

import threading
import time
from datetime import UTC, datetime
from functools import lru_cache
from types import SimpleNamespace

from harness import sampling


def test_a_burst_of_resets_computes_a_tasks_instances_once(monkeypatch):
    computed = []

    @lru_cache(maxsize=8)
    def slow_entries(task_id, version, build, using):
        computed.append(task_id)
        time.sleep(0.2)  # long enough for every thread to ask before the first answer
        return ((sampling.Entry("v", "MRN1", "class", ("1",)),), "")

    monkeypatch.setattr(sampling, "_entries", slow_entries)
    monkeypatch.setattr(sampling, "_golden_build", lambda using: "golden@1")
    task = SimpleNamespace(task_id="ehr/x-v1", updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    other = SimpleNamespace(task_id="ehr/y-v1", updated_at=datetime(2026, 1, 1, tzinfo=UTC))
    answers, barrier = [], threading.Barrier(10)

    def reset(of):
        barrier.wait()
        answers.append(sampling.entries(of))

    threads = [threading.Thread(target=reset, args=(task if i < 8 else other,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(computed) == ["ehr/x-v1", "ehr/y-v1"]  # once per task
    assert len(answers) == 10 and all(found == [sampling.Entry("v", "MRN1", "class", ("1",))] for found in answers)
