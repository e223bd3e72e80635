"""Browser-mode benchmark: reset and step latency with and without screenshots, and how many
browser episodes this machine holds at once (and in how much memory).

    .venv/bin/python bench/browser_bench.py [--resets 15] [--steps 40] [--concurrent 8] [--data-dir DIR]

It builds a golden database from the shipped population in a temporary EHRGYM_DATA_DIR
(or uses the one in --data-dir), starts the server on a free port exactly as `make run`
does, and drives it over the REST API the way an agent does: every figure is what the
agent waits for, HTTP included. Prints a table and, as its last line, one JSON object.

Resets take a started browser from the warm pool (EHRGYM_BROWSER_POOL_SIZE=2); the first
reset of the server, which starts the pool, is not timed. After a reset the bench waits
--think seconds, as an agent thinking about its first action does, so the pool has
started the next browser before the next reset. A click is a real click
on a link: the EHR fetches the next page and swaps it in (static/navigation.js), and the
observation is the accessibility tree of the new page.

Memory is measured with psutil over the server process and every chromedriver and
Chromium process under it. RSS counts shared pages (the Chromium binary, fonts) once per
process that maps them, so its sum over processes overstates what they take; PSS splits
each shared page between the processes sharing it and sums to the real footprint, the
figure held against the 4 GB budget. As a check from outside, the bench also reports how
much the machine's MemAvailable dropped from before the server started to the peak (that
one moves with anything else the machine runs).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests
from server import PYTHON, ROOT, free_port, manage, pct, start_server

MEMORY_BUDGET_MB = 4096


def summary(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    return {"p50": round(statistics.median(values), 1), "p95": round(pct(values, 0.95), 1), "n": len(values)}


# --- The server --------------------------------------------------------------------------


def server_env(data_dir: Path, port: int, concurrent: int) -> dict:
    env = {**os.environ, "EHRGYM_DATA_DIR": str(data_dir), "EHRGYM_LOG_LEVEL": "ERROR",
           "EHRGYM_BROWSER_BASE_URL": f"http://127.0.0.1:{port}", "EHRGYM_BROWSER_POOL_SIZE": "2",
           "EHRGYM_MAX_BROWSER_EPISODES": str(max(concurrent, 8) + 2), "EHRGYM_POOL_SIZE": "4",
           "DJANGO_SETTINGS_MODULE": "ehrsite.settings", "SE_OFFLINE": "true"}
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


SEEN: dict[int, psutil.Process] = {}  # every browser process the server ran, to check none outlives it


def mem_available_mb() -> float:
    """The machine's MemAvailable: what the kernel could still hand out, shared pages counted once."""
    return psutil.virtual_memory().available / 2**20


def browser_tree(server: subprocess.Popen) -> list[psutil.Process]:
    try:
        children = psutil.Process(server.pid).children(recursive=True)
    except psutil.Error:
        return []
    found = []
    for process in children:
        try:  # one process ending while the tree is read must not empty the whole reading
            if process.name() in {"chromedriver", "chromium", "chrome"}:
                found.append(process)
        except psutil.Error:
            continue
    SEEN.update((p.pid, p) for p in found)
    return found


def memory(server: subprocess.Popen) -> dict:
    """RSS and PSS (MB) of the server and of its browsers' processes."""
    def measure(processes):
        rss = pss = 0
        for process in processes:
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            rss, pss = rss + info.rss, pss + info.pss
        return round(rss / 2**20, 1), round(pss / 2**20, 1)

    browsers = browser_tree(server)
    browser_rss, browser_pss = measure(browsers)
    server_rss, server_pss = measure([psutil.Process(server.pid)])
    return {"browser_processes": len(browsers), "browser_rss_mb": browser_rss, "browser_pss_mb": browser_pss,
            "server_rss_mb": server_rss, "server_pss_mb": server_pss,
            "total_rss_mb": round(browser_rss + server_rss, 1), "total_pss_mb": round(browser_pss + server_pss, 1)}


# --- The agent ---------------------------------------------------------------------------


class Agent:
    def __init__(self, base: str, token: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def reset(self, **options) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.http.post(f"{self.base}/api/v1/episodes", json={
            "patient_mrn": options.pop("mrn"), "instruction": "Benchmark: open charts and go back.", "mode": "browser",
            "step_limit": 1000, **options}, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"reset failed: {response.status_code} {response.text[:300]}")
        return response.json(), elapsed

    def step(self, episode_id: str, **action) -> tuple[dict, float]:
        started = time.perf_counter()
        url = f"{self.base}/api/v1/episodes/{episode_id}/step"
        response = self.http.post(url, json={"action": action}, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"step failed: {response.status_code} {response.text[:300]}")
        body = response.json()
        if body["observation"]["last_action_error"]:
            raise RuntimeError(f"{action} failed: {body['observation']['last_action_error']}")
        return body, elapsed

    def close(self, episode_id: str) -> None:
        self.http.delete(f"{self.base}/api/v1/episodes/{episode_id}", timeout=120)


def first_patient(observation: dict) -> str:
    return re.search(r"\[patient-link-([A-Za-z0-9]+)\]", observation["axtree"]).group(1)


def click_steps(agent: Agent, episode_id: str, mrn: str, count: int) -> tuple[list[float], list[dict]]:
    """Alternate between the patient list (50 rows) and a chart summary, by clicking links."""
    times, infos = [], []
    for i in range(count):
        bid = f"patient-link-{mrn}" if i % 2 == 0 else "workspace-tab-my-patients"
        body, elapsed = agent.step(episode_id, type="click", bid=bid)
        times.append(elapsed)
        infos.append(body["info"]["timings_ms"])
    return times, infos


def phase(infos: list[dict], name: str) -> float | None:
    values = [info[name] for info in infos if name in info]
    return round(statistics.median(values), 1) if values else None


def run(args, base: str, token: str, server: subprocess.Popen, mrns: list[str]) -> dict:
    agent = Agent(base, token)
    result: dict = {}

    # The first browser reset of a server process starts its pool: not timed, as in a
    # training run where thousands of resets follow.
    body, _ = agent.reset(mrn=mrns[0])
    time.sleep(args.think)
    agent.close(body["episode_id"])
    time.sleep(args.think)

    # Resets, each followed by a few steps and a close (the pool refills meanwhile).
    resets, noop, noop_shot = [], [], []
    for i in range(args.resets):
        body, elapsed = agent.reset(mrn=mrns[i % len(mrns)], screenshot=(i % 2 == 1))
        resets.append(elapsed)
        browser_tree(server)
        episode_id = body["episode_id"]
        time.sleep(args.think)
        for _ in range(3):
            (noop_shot if i % 2 == 1 else noop).append(agent.step(episode_id, type="noop")[1])
        agent.close(episode_id)
    result["reset_ms"] = summary(resets)
    print(f"resets (ms, in order): {[round(t) for t in resets]}", file=sys.stderr)
    result["noop_ms"] = summary(noop)
    result["noop_screenshot_ms"] = summary(noop_shot)

    # Click steps, without and with a screenshot.
    for key, screenshot in (("click", False), ("click_screenshot", True)):
        body, _ = agent.reset(mrn=mrns[0], screenshot=screenshot)
        time.sleep(args.think)
        mrn = first_patient(body["observation"])
        times, infos = click_steps(agent, body["episode_id"], mrn, args.steps)
        browser_tree(server)
        agent.close(body["episode_id"])
        result[f"{key}_ms"] = summary(times)
        result[f"{key}_phases_ms"] = {name: phase(infos, name) for name in ("action", "observe", "screenshot", "step")}

    # Concurrency: N browser episodes open at once, all clicking at the same time.
    opened, errors = [], []
    for i in range(args.concurrent):
        try:
            body, _ = agent.reset(mrn=mrns[i % len(mrns)])
            opened.append((body["episode_id"], first_patient(body["observation"])))
        except RuntimeError as error:
            errors.append(str(error))
    time.sleep(args.think)
    idle_memory = memory(server)
    step_times, ok = [], []
    lock = threading.Lock()

    def drive(episode_id: str, mrn: str):
        own = Agent(base, token)
        try:
            times, _ = click_steps(own, episode_id, mrn, args.concurrent_steps)
            with lock:
                step_times.extend(times)
                ok.append(episode_id)
        except Exception as error:  # counted and reported
            with lock:
                errors.append(f"{type(error).__name__}: {error}")

    sampled, available = [], []
    threads = [threading.Thread(target=drive, args=pair) for pair in opened]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        sampled.append(memory(server))
        available.append(mem_available_mb())
        time.sleep(0.5)
    wall = time.perf_counter() - started
    peak = max(sampled or [idle_memory], key=lambda m: m["total_pss_mb"])
    for episode_id, _ in opened:
        agent.close(episode_id)
    within_budget = peak["total_pss_mb"] <= MEMORY_BUDGET_MB
    result.update({
        "concurrent_tried": args.concurrent,
        "concurrent_ok": len(ok) if within_budget else 0,
        "concurrent_errors": errors[:3],
        "concurrent_step_ms": summary(step_times),
        "concurrent_wall_s": round(wall, 2),
        "concurrent_steps_per_s": round(len(step_times) / wall, 1) if wall else None,
        "memory_idle": idle_memory,
        "memory_available_min_mb": round(min(available or [mem_available_mb()]), 1),
        "memory_peak": peak,
    })
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=16)
    parser.add_argument("--steps", type=int, default=40, help="click steps timed, with and without screenshots")
    parser.add_argument("--concurrent", type=int, default=8)
    parser.add_argument("--concurrent-steps", type=int, default=10)
    parser.add_argument("--think", type=float, default=2.0, help="seconds an agent thinks after a reset")
    parser.add_argument("--data-dir", help="an EHRGYM_DATA_DIR with a golden database to use (default: build one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ehrgym-browser-bench-") as scratch:
        data_dir = Path(args.data_dir or scratch)
        port = free_port()
        env = server_env(data_dir, port, args.concurrent)
        print(f"building the databases in {data_dir} ...", file=sys.stderr)
        started = time.monotonic()
        manage(env, "migrate", "--noinput")
        manage(env, "build_golden")
        golden_s = time.monotonic() - started
        token = manage(env, "agent_token", "bench-agent").splitlines()[-1]
        mrns = json.loads(subprocess.run(
            [PYTHON, "-c", "import django, json; django.setup(); from clinical.models import Patient; "
                           "print(json.dumps(list(Patient.objects.using('golden').filter(deceased_at__isnull=True)"
                           ".order_by('mrn').values_list('mrn', flat=True)[:20])))"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout)
        available_before = mem_available_mb()
        server = start_server(env, port, log=data_dir / "browser-bench-server.log")
        load_before = os.getloadavg()[0]
        try:
            result = run(args, f"http://127.0.0.1:{port}", token, server, mrns)
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
        _, alive = psutil.wait_procs(list(SEEN.values()), timeout=10)
        result["leftover_browser_processes"] = len(alive)
        # Machine-wide: everything else running on the machine moves this figure too.
        result["memory_machine_delta_mb"] = round(available_before - result["memory_available_min_mb"], 1)

    m_idle, m_peak = result["memory_idle"], result["memory_peak"]
    print(f"golden database built in {golden_s:.0f} s; server on port {port}; Chromium via Selenium, headless")
    print(f"{'':44}{'p50 ms':>10}{'p95 ms':>10}{'n':>6}")
    for label, key in (
        ("browser reset (warm browser pool)", "reset_ms"),
        ("click step, no screenshot", "click_ms"),
        ("click step, with screenshot", "click_screenshot_ms"),
        ("noop step (cheapest), no screenshot", "noop_ms"),
        ("noop step (cheapest), with screenshot", "noop_screenshot_ms"),
        (f"click step, {result['concurrent_tried']} episodes at once", "concurrent_step_ms"),
    ):
        row = result[key]
        print(f"{label:44}{row['p50'] or 0:>10.1f}{row['p95'] or 0:>10.1f}{row['n']:>6}")
    for key in ("click_phases_ms", "click_screenshot_phases_ms"):
        phases = ", ".join(f"{name} {value} ms" for name, value in result[key].items() if value is not None)
        print(f"  server-side phases of a {key.split('_phases')[0].replace('_', ' ')} (p50): {phases}")
    print(f"{result['concurrent_ok']}/{result['concurrent_tried']} browser episodes open and clicking at once "
          f"({result['concurrent_steps_per_s']} steps/s overall) {result['concurrent_errors'] or ''}")
    print(f"memory with them open: {m_idle['browser_processes']} browser processes; "
          f"PSS {m_idle['total_pss_mb']:.0f} MB idle, "
          f"{m_peak['total_pss_mb']:.0f} MB at peak (server {m_peak['server_pss_mb']:.0f} MB); "
          f"sum of RSS {m_peak['total_rss_mb']:.0f} MB (counts shared pages once per process); "
          f"budget {MEMORY_BUDGET_MB} MB")
    print(f"machine memory in use, server start to peak (MemAvailable drop, whole machine): "
          f"{result['memory_machine_delta_mb']:.0f} MB")
    print(f"browser processes left after the server stopped: {result['leftover_browser_processes']}")
    load_after = os.getloadavg()[0]
    print(f"machine load (1-min average, {os.cpu_count()} cores): {load_before:.1f} at the start, "
          f"{load_after:.1f} at the end "
          "(other work on the machine slows every figure above)")
    per_episode = (m_peak["browser_pss_mb"] / max(1, result["concurrent_tried"]))
    final = {
        "browser_reset_p50_ms": result["reset_ms"]["p50"],
        "browser_reset_p95_ms": result["reset_ms"]["p95"],
        "browser_step_p50_ms": result["click_ms"]["p50"],
        "browser_step_p95_ms": result["click_ms"]["p95"],
        "browser_step_screenshot_p50_ms": result["click_screenshot_ms"]["p50"],
        "browser_step_screenshot_p95_ms": result["click_screenshot_ms"]["p95"],
        "browser_noop_step_p50_ms": result["noop_ms"]["p50"],
        "browser_noop_step_screenshot_p50_ms": result["noop_screenshot_ms"]["p50"],
        "concurrent_step_p50_ms": result["concurrent_step_ms"]["p50"],
        "max_concurrent_browser_episodes": result["concurrent_ok"],
        "concurrent_tried": result["concurrent_tried"],
        "memory_total_pss_mb": m_peak["total_pss_mb"],
        "memory_total_rss_sum_mb": m_peak["total_rss_mb"],
        "memory_server_rss_mb": m_peak["server_rss_mb"],
        "memory_machine_delta_mb": result["memory_machine_delta_mb"],
        "memory_per_browser_episode_pss_mb": round(per_episode, 1),
        "leftover_browser_processes": result["leftover_browser_processes"],
        "load_average_1m": round(max(load_before, load_after), 2),
    }
    print(json.dumps(final))


if __name__ == "__main__":
    main()
