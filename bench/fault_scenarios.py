"""The fault bench's scenarios: each breaks something real (the server, Redis, a Celery worker, Chromium, time, the
slot limit) and checks the answers and what is left. bench/fault_bench.py runs them and checks each ended clean."""

import shutil
import subprocess
import threading
import time
from pathlib import Path

import psutil
from fault_lab import CELERY, REDIS_SERVER, Lab, Redis, Scenario, Worker
from server import ROOT


class Skipped(Exception):
    """A service the scenario needs is missing on this machine."""


def _ok(response, status: int) -> bool:
    return response is not None and response.status_code == status


def _open(lab: Lab, base: str, count: int, **options) -> list[str]:
    """`count` episodes (a step limit no scenario reaches); a reset that is not a 201 is a failure."""
    ids = []
    for _ in range(count):
        response = lab.reset(base, step_limit=1000, **options)
        if lab.scenario.check(_ok(response, 201), f"reset -> {getattr(response, 'status_code', None)}"):
            ids.append(response.json()["episode_id"])
    return ids


def _state(lab: Lab, base: str, episode_id: str) -> dict:
    response = lab.call(base, "GET", f"episodes/{episode_id}")
    return response.json() if _ok(response, 200) else {}


def _kill_during_resets(lab: Lab, count: int) -> tuple[list[str], dict]:
    """`count` resets at once, the server SIGKILLed while one is half way (its episode "created"): the episodes
    answered, and what the kill left (probed with the server down)."""
    server = lab.start("sigkill-resets")
    answers: list = []
    threads = [threading.Thread(target=lambda: answers.append(lab.reset(server.base, expect_down=True)))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while not lab.count("episode", "created") and len(answers) < count and time.monotonic() < deadline:
        time.sleep(0.001)
    server.kill()
    for thread in threads:
        thread.join()
    return [a.json()["episode_id"] for a in answers if _ok(a, 201)], lab.probe()


def sigkill_resets(lab: Lab, sc: Scenario, quick: bool) -> None:
    """SIGKILL the server while resets are in flight; after a restart nothing is left half made and resets work."""
    count = 12 if quick else 16
    answered, kills = [], 0
    while kills < 3:  # again if every reset had finished before the kill landed (nothing to clean)
        kills += 1
        ids, left = _kill_during_resets(lab, count)
        answered += ids
        if left["created"] or left["creating"] or left["unreferenced"]:
            break
    sc.facts.update(resets_in_flight=count, kills=kills, answered_before_kill=len(answered),
                    left_by_kill={key: left[key] for key in ("open", "created", "creating", "unreferenced")})
    server = lab.start("sigkill-resets-restart")
    try:
        after = lab.wait_for_probe(lambda p: not (p["created"] or p["creating"] or p["unreferenced"]), 30)
        sc.facts["after_restart"] = after
        sc.check(after["created"] == 0, f"{after['created']} episode(s) still 'created', holding slots")
        sc.check(after["unreferenced"] == 0, f"{after['unreferenced']} database(s) nothing refers to")
        sc.check(after["creating"] == 0 and after["open_without_database"] == 0, f"half-made copies: {after}")
        for episode_id in answered:
            sc.check(_ok(lab.step(server.base, episode_id), 200), f"episode {episode_id} answered before the kill")
        fresh = _open(lab, server.base, 4)
        for episode_id in [*answered, *fresh]:
            lab.close(server.base, episode_id)
        # Resets the server finished but could not answer: running, unknown to any client, closed at their TTL.
        sc.facts["running_unanswered"] = sc.facts["open_allowed"] = after["open"] - len(answered)
    finally:
        server.stop()


def sigkill_steps(lab: Lab, sc: Scenario, quick: bool) -> None:
    """SIGKILL the server while episodes take steps (writes included); after a restart each episode steps on or is
    closed cleanly."""
    server = lab.start("sigkill-steps")
    ids = _open(lab, server.base, 4 if quick else 8)
    stop = threading.Event()
    actions = [{"type": "record_vitals", "mrn": lab.mrn, "values": {"heart_rate": 80, "spo2": 97}},
               {"type": "read_chart_section", "section": "vitals", "mrn": lab.mrn}]

    def work(episode_id: str) -> None:
        turn = 0
        while not stop.is_set():
            lab.step(server.base, episode_id, actions[turn % 2], expect_down=True)
            turn += 1

    threads = [threading.Thread(target=work, args=(episode_id,)) for episode_id in ids]
    for thread in threads:
        thread.start()
    time.sleep(1.0 if quick else 3.0)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    sc.facts["steps_before_kill"] = sc.statuses[200]
    server = lab.start("sigkill-steps-restart")
    try:
        after = lab.wait_for_probe(lambda p: not (p["created"] or p["creating"] or p["unreferenced"]), 30)
        sc.check(after["unreferenced"] == 0 and after["open_without_database"] == 0, f"after restart: {after}")
        steppable = closed = 0
        for episode_id in ids:
            response = lab.step(server.base, episode_id)
            if _ok(response, 200):
                steppable += 1
            elif sc.check(_ok(response, 409), f"step after restart -> {getattr(response, 'status_code', None)}"):
                status = _state(lab, server.base, episode_id).get("status")
                closed += sc.check(status != "running", f"409 for an episode still {status}")
            lab.close(server.base, episode_id)
        sc.facts.update(steppable_after_restart=steppable, closed_after_restart=closed)
    finally:
        server.stop()


def redis_restart(lab: Lab, sc: Scenario, quick: bool) -> None:
    """Redis (the bench's own) killed mid-run: resets and steps go on in-process or answer 503 + Retry-After, and
    everything works as before once it is back."""
    if not REDIS_SERVER:
        raise Skipped("redis-server is not installed")
    redis = Redis(lab.data_dir).start()
    server = lab.start("redis", REDIS_URL=redis.url)
    try:
        ids = _open(lab, server.base, 2)
        sc.check(all(_ok(lab.step(server.base, i), 200) for i in ids), "a step with Redis up failed")
        redis.kill()
        outage = []
        for _ in range(2 if quick else 6):
            response = lab.reset(server.base, step_limit=1000)
            outage.append(getattr(response, "status_code", None))
            if _ok(response, 201):
                ids.append(response.json()["episode_id"])
        for episode_id in ids:
            response = lab.step(server.base, episode_id)
            outage.append(getattr(response, "status_code", None))
        sc.facts["answers_during_outage"] = {str(s): outage.count(s) for s in sorted(set(outage), key=str)}
        redis.start()  # the same port, empty: as a restarted Redis without persistence
        ids += _open(lab, server.base, 2)
        sc.check(all(_ok(lab.step(server.base, i), 200) for i in ids), "a step after Redis came back failed")
        for episode_id in ids:
            lab.close(server.base, episode_id)
    finally:
        server.stop()
        redis.kill()


def celery_worker_killed(lab: Lab, sc: Scenario, quick: bool) -> None:
    """A real Celery worker SIGKILLed while it refills the warm pool: resets still work, and the reap (run by the
    restarted worker, as beat would send it) drops the copy it left half made."""
    if not REDIS_SERVER or not Path(CELERY).exists():
        raise Skipped("redis-server or celery is not installed")
    redis = Redis(lab.data_dir).start()
    pool = "12" if quick else "24"
    env = {"REDIS_URL": redis.url, "EHRGYM_POOL_SIZE": pool}
    server = lab.start("celery", **env)
    workers = [Worker({**lab.env, **env}, lab.data_dir / "fault-celery-worker.log")]
    try:
        workers[0].wait_ready()
        ids = _open(lab, server.base, 1)  # cold: its commit sends pool_refill to the worker
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lab.count("databasecopy", "ready") >= 2
                                                   and lab.count("databasecopy", "creating")):
            time.sleep(0.001)
        workers[0].kill()  # mid-refill: copies ready, one being made
        at_kill = lab.probe()
        sc.facts.update(pool_size=int(pool), ready_at_kill=at_kill["ready"], creating_at_kill=at_kill["creating"])
        sc.check(at_kill["ready"] < int(pool), "the pool was already full when the worker was killed")
        ids += _open(lab, server.base, 3)
        sc.check(all(_ok(lab.step(server.base, i), 200) for i in ids), "a step after the kill failed")
        time.sleep(3)  # EHRGYM_STALE_CREATE_SECONDS: the dead worker's copy is now stale
        workers.append(Worker({**lab.env, **env}, lab.data_dir / "fault-celery-worker-2.log"))
        workers[1].wait_ready()
        subprocess.run([CELERY, "-A", "ehrsite", "call", "agentenv.episodes_reap"], cwd=ROOT, env={**lab.env, **env},
                       capture_output=True, check=True)
        after = lab.wait_for_probe(lambda p: not (p["creating"] or p["unreferenced"]), 30)
        sc.facts["after_reap"] = after
        sc.check(after["creating"] == 0 and after["unreferenced"] == 0, f"half-made copies after the reap: {after}")
        for episode_id in ids:
            lab.close(server.base, episode_id)
    finally:
        for worker in workers:
            worker.kill()
        server.stop()
        redis.kill()


def _browsers(server) -> list[psutil.Process]:
    return [p for p in server.children() if "chrom" in p.name() and "driver" not in p.name()]


def chromium_killed(lab: Lab, sc: Scenario, quick: bool) -> None:
    """The episode's Chromium SIGKILLed mid-episode: the next step answers (a restarted browser, or a clear error),
    the episode closes, and no browser process or profile directory is left."""
    if not (Path("/usr/bin/chromium").exists() or psutil.Process().environ().get("EHRGYM_CHROMIUM")):
        raise Skipped("Chromium is not installed")
    tmp = lab.data_dir / "fault-tmp"
    shutil.rmtree(tmp, ignore_errors=True)  # what a failed earlier run left in a kept --data-dir is not this run's
    tmp.mkdir()
    # No browser pool: the only browser is the episode's. Profiles go to a folder of the bench's own.
    server = lab.start("chromium", EHRGYM_BROWSER_POOL_SIZE="0", TMPDIR=str(tmp))
    try:
        ids = _open(lab, server.base, 1, mode="browser")
        if not ids:
            return
        goto = {"type": "goto", "url": f"/patients/{lab.mrn}/"}
        sc.check(_ok(lab.step(server.base, ids[0], goto), 200), "a browser step before the kill failed")
        killed = _browsers(server)  # every Chromium process of the episode, as a crash would end them
        sc.check(bool(killed), "no Chromium found under the server")
        for process in killed:
            process.kill()
        psutil.wait_procs(killed, timeout=10)
        response = lab.step(server.base, ids[0], goto)
        if sc.check(response is not None and response.status_code in (200, 409), "the step after the kill"):
            body = response.json()
            events = [e.get("event") for e in body.get("info", {}).get("events", [])]
            sc.facts["step_after_kill"] = {"status": response.status_code, "events": events,
                                           "error": (body.get("observation") or {}).get("last_action_error")
                                           or body.get("detail")}
        lab.close(server.base, ids[0])
        deadline = time.monotonic() + 15
        while _browsers(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        sc.check(not _browsers(server), f"{len(_browsers(server))} browser process(es) left after the close")
    finally:
        server.stop()
    profiles = [p.name for p in tmp.iterdir() if p.name.startswith("ehrgym-chrome-")]
    sc.check(not profiles, f"profile directories left: {profiles}")
    left = [p.pid for p in psutil.process_iter(["cmdline"]) if str(tmp) in " ".join(p.info["cmdline"] or [])]
    sc.check(not left, f"processes still running on the bench's profiles: {left}")


def ttl_expiry(lab: Lab, sc: Scenario, quick: bool) -> None:
    """Idle past a short TTL, without Redis: the in-process reaper closes the episodes and drops their databases, and
    a step into one answers 409."""
    server = lab.start("ttl", EHRGYM_EPISODE_TTL_SECONDS="3")
    try:
        ids = _open(lab, server.base, 3)
        sc.check(all(_ok(lab.step(server.base, i), 200) for i in ids), "a step before the TTL failed")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_state(lab, server.base, i).get("status") == "running" for i in ids):
            time.sleep(1)
        states = [_state(lab, server.base, i) for i in ids]
        sc.facts["reaped"] = sum(s.get("status") == "closed" and not s.get("holds_database") for s in states)
        sc.check(sc.facts["reaped"] == len(ids), f"not reaped: {[s.get('status') for s in states]}")
        refused = [lab.step(server.base, i) for i in ids]
        sc.check(all(_ok(r, 409) for r in refused), "a step into an expired episode was not a 409")
        found = lab.probe()
        sc.check(found["open"] == 0 and found["unreferenced"] == 0, f"after the TTL: {found}")
    finally:
        server.stop()


def capacity_full(lab: Lab, sc: Scenario, quick: bool) -> None:
    """Every slot taken: the extra reset is a 503 with Retry-After; after a close, resets succeed again."""
    server = lab.start("capacity", EHRGYM_MAX_EPISODES="3")
    try:
        ids = _open(lab, server.base, 3)
        extra = lab.reset(server.base)
        sc.check(_ok(extra, 503) and bool(extra.headers.get("Retry-After")), "the extra reset: not 503 + Retry-After")
        sc.facts["retry_after_s"] = extra.headers.get("Retry-After") if extra is not None else None
        lab.close(server.base, ids.pop(0))
        ids += _open(lab, server.base, 1)
        for episode_id in ids:
            lab.close(server.base, episode_id)
    finally:
        server.stop()


SCENARIOS = {
    "sigkill_resets": sigkill_resets,
    "sigkill_steps": sigkill_steps,
    "redis_restart": redis_restart,
    "celery_worker_killed": celery_worker_killed,
    "chromium_killed": chromium_killed,
    "ttl_expiry": ttl_expiry,
    "capacity_full": capacity_full,
}
