"""HTTP benchmark: task resets, steps and concurrent episodes as an agent sees them, through the API of a real
server process (uvicorn, as `make run` starts it), on SQLite or PostgreSQL.

    .venv/bin/python bench/http_bench.py [--engine sqlite|postgres] [--quick] [--data-dir DIR]

It prepares the databases as `make run` does (migrate, build_golden, tasks sync, an agent token) in a
temporary EHRGYM_DATA_DIR (or --data-dir, where the golden database is kept between runs) and starts the server
twice on a free port: once with EHRGYM_POOL_SIZE=0, where every reset copies the golden database inside the
request (cold), then with the default warm pool. Every figure is the time the agent waits, HTTP included:
resets of a library task (GET /api/v1/tasks), one after another and in a burst of clients at once; steps 1, 25
and 50 of an episode (scoring included); the most concurrent episodes whose steps stay under 1 s at p99, stepping
back to back (the server's throughput) and as agents that wait a second for their model between steps; the
OpenEnv WebSocket; a browser click. With --web-processes N (PostgreSQL) the warm pool's server runs N server
processes on its port (python -m ehrsite.serve), API episodes only; the browser clicks run on the one-process
server. PostgreSQL runs on EHRGYM_BENCH_HTTP_POSTGRES_URL, in databases dropped at
the end. Prints a table and, as its last line, one JSON object.
"""

import argparse
import json
import os
import random
import re
import shutil
import sys
import threading
import time
from pathlib import Path

import requests
from server import POOL_DRAIN, bench_environment, machine, manage, p50_p99, serve
from websockets.sync.client import connect

PG_URL = os.environ.get("EHRGYM_BENCH_HTTP_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_http")
TASK = "ehr/laboratory-medicine.latest-result-v1"
STEP_LIMIT_S = 1.0  # the concurrency search stops where step p99 passes this
EPISODE_STEPS = 50


class Agent:
    """One client of the REST API, with its own HTTP connection."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def reset(self, **body) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.http.post(f"{self.base}/api/v1/episodes", json=body, timeout=600)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 201:
            raise RuntimeError(f"reset: {response.status_code} {response.text[:300]}")
        return response.json(), elapsed

    def step(self, episode_id: str, action: dict) -> tuple[dict, float]:
        started = time.perf_counter()
        response = self.http.post(f"{self.base}/api/v1/episodes/{episode_id}/step", json={"action": action},
                                  timeout=600)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"step: {response.status_code} {response.text[:300]}")
        body = response.json()
        if body["observation"]["last_action_error"]:
            raise RuntimeError(f"step {action}: {body['observation']['last_action_error']}")
        return body, elapsed

    def close(self, episode_id: str) -> None:
        self.http.delete(f"{self.base}/api/v1/episodes/{episode_id}", timeout=600)


def cheap_action(observation: dict) -> dict:
    """A valid read of the task's patient (the instruction names them), scored like any step."""
    found = re.search(r"MRN (\w+)", observation["goal"])
    if found is None:
        return {"type": "search_patients", "query": "a"}
    return {"type": "read_chart_section", "section": "results", "mrn": found.group(1)}


def in_threads(count: int, work) -> tuple[list, list[str]]:
    """Run work(i) in `count` threads started together; their results and their errors."""
    results, errors, lock = [], [], threading.Lock()
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait()
            value = work(i)
            with lock:
                results.append(value)
        except Exception as error:  # counted and reported
            with lock:
                errors.append(f"{type(error).__name__}: {error}"[:300])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


# --- The measurements ------------------------------------------------------------------------------


def sequential_resets(agent: Agent, task: str, count: int, think: float) -> tuple[list[float], int]:
    """Resets one after another, each closed at once; the agent thinks `think` s after each (the pool refills)."""
    times, pooled = [], 0
    for seed in range(count):
        body, elapsed = agent.reset(task_id=task, seed=seed)
        times.append(elapsed)
        pooled += body["info"]["from_pool"]
        agent.close(body["episode_id"])
        time.sleep(think)
    return times, pooled


def burst_resets(base: str, token: str, task: str, clients: int) -> tuple[list[float], int, list[str]]:
    """`clients` resets at the same moment, each on its own connection."""
    def reset(i):
        agent = Agent(base, token)
        body, elapsed = agent.reset(task_id=task, seed=1000 + i)
        agent.close(body["episode_id"])
        return elapsed, body["info"]["from_pool"]

    results, errors = in_threads(clients, reset)
    return [r[0] for r in results], sum(r[1] for r in results), errors


def episode_steps(agent: Agent, task: str, episodes: int) -> dict[int, list[float]]:
    """Step times by step number (1-based) over `episodes` whole episodes of EPISODE_STEPS steps."""
    by_step: dict[int, list[float]] = {}
    for seed in range(episodes):
        body, _ = agent.reset(task_id=task, seed=seed, step_limit=EPISODE_STEPS + 5)
        action = cheap_action(body["observation"])
        for number in range(1, EPISODE_STEPS + 1):
            by_step.setdefault(number, []).append(agent.step(body["episode_id"], action)[1])
        agent.close(body["episode_id"])
    return by_step


def concurrent_level(base: str, token: str, task: str, clients: int, steps: int, think: float = 0.0) -> dict:
    """`clients` agents, each resetting its own episode, then all stepping at once: back to back, or (think > 0)
    waiting `think` s after each answer, as an agent waits for its model, starting at random moments within it."""
    opened, errors = in_threads(clients, lambda i: _open(base, token, task, 2000 + i))
    step_times: list[float] = []
    lock = threading.Lock()

    def drive(i):
        agent, body = opened[i]
        action = cheap_action(body["observation"])
        time.sleep(random.uniform(0, think))
        times = []
        for _ in range(steps):
            times.append(agent.step(body["episode_id"], action)[1])
            time.sleep(think)
        with lock:
            step_times.extend(times)

    started = time.perf_counter()
    if opened:
        _, step_errors = in_threads(len(opened), drive)
        errors += step_errors
    wall = time.perf_counter() - started
    for agent, body in opened:
        agent.close(body["episode_id"])
    return {"clients": clients, "think_s": think, "step_ms": p50_p99(step_times), "errors": errors,
            "steps_per_s": round(len(step_times) / wall, 1) if wall else None}


def _open(base: str, token: str, task: str, seed: int) -> tuple[Agent, dict]:
    agent = Agent(base, token)
    return agent, agent.reset(task_id=task, seed=seed, step_limit=1000)[0]


def concurrency_search(base: str, token: str, task: str, levels: list[int], steps: int,
                       think: float = 0.0) -> tuple[int, list[dict]]:
    """Raise the load until step p99 passes STEP_LIMIT_S or errors appear; the largest load that held."""
    held, tried = 0, []
    for clients in levels:
        level = concurrent_level(base, token, task, clients, steps, think)
        tried.append(level)
        print(f"  {clients} concurrent episodes (think {think} s): step {level['step_ms']}, "
              f"{level['steps_per_s']} steps/s, {len(level['errors'])} errors", file=sys.stderr)
        if level["errors"] or (level["step_ms"]["p99"] or 0) > STEP_LIMIT_S * 1000:
            break
        held = clients
    return held, tried


def openenv_ws(port: int, token: str, task: str, resets: int, steps: int, think: float) -> tuple[list, list]:
    """Reset and step times over the OpenEnv WebSocket: one connection, one episode after another."""
    def ask(ws, message: dict) -> float:
        started = time.perf_counter()
        ws.send(json.dumps(message))
        answer = json.loads(ws.recv(timeout=600))
        if answer["type"] != "observation":
            raise RuntimeError(f"OpenEnv {message['type']}: {answer}")
        ask.last = answer["data"]
        return (time.perf_counter() - started) * 1000

    reset_times, step_times = [], []
    with connect(f"ws://127.0.0.1:{port}/openenv/ws?token={token}", max_size=2**24) as ws:
        for seed in range(resets):
            reset_times.append(ask(ws, {"type": "reset", "data": {"task_id": task, "seed": seed}}))
            action = cheap_action(ask.last["observation"])
            step_times += [ask(ws, {"type": "step", "data": action}) for _ in range(steps)]
            time.sleep(think)
        ws.send(json.dumps({"type": "state"}))
        last = json.loads(ws.recv(timeout=600))["data"]["ehrgym_episode_id"]
    # The server closes the session's episode after the socket closed: wait for it before the server is stopped.
    agent, deadline = Agent(f"http://127.0.0.1:{port}", token), time.monotonic() + 60
    while agent.http.get(f"{agent.base}/api/v1/episodes/{last}", timeout=60).json()["holds_database"]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the OpenEnv session's episode {last} was not closed 60 s after the socket closed")
        time.sleep(0.1)
    return reset_times, step_times


def browser_clicks(agent: Agent, mrn: str, steps: int) -> list[float] | str:
    """Click steps in browser mode (patient list <-> a chart), or why they were skipped."""
    remote = os.environ.get("EHRGYM_SELENIUM_REMOTE_URL")
    if not (remote or shutil.which("chromium") or shutil.which("chromium-browser")):
        return "skipped: no Chromium on this machine"
    body, _ = agent.reset(patient_mrn=mrn, instruction="Benchmark: open charts and go back.", mode="browser",
                          step_limit=1000)  # starts the browser pool: not timed
    agent.close(body["episode_id"])
    time.sleep(3)
    body, _ = agent.reset(patient_mrn=mrn, instruction="Benchmark: open charts and go back.", mode="browser",
                          step_limit=1000)
    try:
        linked = re.search(r"\[patient-link-([A-Za-z0-9]+)\]", body["observation"]["axtree"]).group(1)
        bids = [f"patient-link-{linked}", "workspace-tab-my-patients"]
        return [agent.step(body["episode_id"], {"type": "click", "bid": bids[i % 2]})[1] for i in range(steps)]
    finally:
        agent.close(body["episode_id"])


# --- The run ---------------------------------------------------------------------------------------

# Agents that wait for a model between steps: AGENT_THINK_S is a fast one (an LLM answering in about a second).
AGENT_THINK_S = 1.0
FULL = {"resets": 20, "cold_resets": 10, "burst": 32, "episodes": 10, "levels": [8, 16, 32, 48, 64],
        "level_steps": 10, "agent_levels": [32, 64, 96, 128], "agent_steps": 10, "ws_resets": 10, "ws_steps": 10,
        "clicks": 20, "think": 2.0}
QUICK = {"resets": 2, "cold_resets": 2, "burst": 4, "episodes": 1, "levels": [2, 4], "level_steps": 3,
         "agent_levels": [2], "agent_steps": 2, "ws_resets": 1, "ws_steps": 3, "clicks": 2, "think": 0.5}


def measure(counts: dict, env: dict, data_dir: Path, processes: int = 1) -> dict:
    started = time.monotonic()
    manage(env, "migrate", "--noinput")
    manage(env, "build_golden")
    manage(env, "tasks", "sync")
    token = manage(env, "agent_token", "http-bench").splitlines()[-1]
    manage(env, *POOL_DRAIN)  # copies a previous run left in --data-dir would make cold resets warm
    result: dict = {"setup_s": round(time.monotonic() - started, 1), "web_processes": processes}
    print(f"databases ready in {result['setup_s']} s", file=sys.stderr)

    def cold(base, port):
        agent = Agent(base, token)
        tasks = [task["task_id"] for task in agent.http.get(f"{base}/api/v1/tasks", timeout=60).json()]
        result["task"] = TASK if TASK in tasks else tasks[0]
        sequential_resets(agent, result["task"], 1, 0.2)  # the server's first request loads what it needs: not timed
        result["reset_cold"], pooled = sequential_resets(agent, result["task"], counts["cold_resets"], 0.2)
        assert pooled == 0, f"{pooled} cold resets came from a pool"
        # Browser clicks on this one-process server: the warm server may run several processes and no browsers.
        body, _ = agent.reset(task_id=result["task"], seed=0)
        agent.close(body["episode_id"])
        mrn = cheap_action(body["observation"]).get("mrn")
        result["clicks"] = browser_clicks(agent, mrn, counts["clicks"]) if mrn else "skipped: no patient"

    def warm(base, port):
        agent, task, think = Agent(base, token), result["task"], counts["think"]
        body, _ = agent.reset(task_id=task, seed=0)  # the first reset of the server starts the pool: not timed
        agent.close(body["episode_id"])
        time.sleep(max(think, 3))
        result["reset_warm"], result["reset_warm_pooled"] = sequential_resets(agent, task, counts["resets"], think)
        time.sleep(max(think, 3))
        result["reset_burst"], result["reset_burst_pooled"], result["reset_burst_errors"] = burst_resets(
            base, token, task, counts["burst"])
        print("bursts done; episodes of 50 steps ...", file=sys.stderr)
        result["steps"] = episode_steps(agent, task, counts["episodes"])
        result["max_concurrent"], result["levels"] = concurrency_search(
            base, token, task, counts["levels"], counts["level_steps"])
        result["max_agents"], result["agent_levels"] = concurrency_search(
            base, token, task, counts["agent_levels"], counts["agent_steps"], AGENT_THINK_S)
        result["ws_reset"], result["ws_step"] = openenv_ws(port, token, task, counts["ws_resets"], counts["ws_steps"],
                                                           think)

    # The warm server may hold more episodes than the default cap (64), so the search finds the server's limit.
    warm_env = {**env, "EHRGYM_MAX_EPISODES": str(max(counts["agent_levels"]) + 16)}
    if processes > 1:
        warm_env["EHRGYM_MAX_BROWSER_EPISODES"] = "0"  # several processes without a Selenium Grid: API episodes only
    try:
        serve("http-bench-cold", {**env, "EHRGYM_POOL_SIZE": "0"}, data_dir, cold)
        print("cold resets done; the warm pool ...", file=sys.stderr)
        serve("http-bench-warm", warm_env, data_dir, warm, processes=processes)
    finally:
        manage(env, *POOL_DRAIN)  # the warm pool's copies, once its server has stopped
    return result


def _limit_found(levels: list[dict], held: int) -> bool:
    """Whether the search reached a load that failed (else the limit is above every load tried)."""
    return bool(levels) and held != levels[-1]["clients"]


def report(engine: str, quick: bool, result: dict) -> dict:
    rows = [
        (f"task reset, warm pool, sequential ({result['reset_warm_pooled']} from the pool)",
         p50_p99(result["reset_warm"])),
        (f"task reset, burst of {QUICK['burst'] if quick else FULL['burst']} clients "
         f"({result['reset_burst_pooled']} from the pool)", p50_p99(result["reset_burst"])),
        ("task reset, cold (EHRGYM_POOL_SIZE=0)", p50_p99(result["reset_cold"])),
        *[(f"step {n} of an episode (scoring included)", p50_p99(result["steps"][n])) for n in (1, 25, 50)],
        ("step, all 50 of an episode", p50_p99([t for times in result["steps"].values() for t in times])),
        ("OpenEnv WebSocket reset", p50_p99(result["ws_reset"])),
        ("OpenEnv WebSocket step", p50_p99(result["ws_step"])),
    ]
    clicks = result["clicks"]
    if isinstance(clicks, list):
        rows.append(("browser click step", p50_p99(clicks)))
    processes = result["web_processes"]
    print(f"EHRGym through HTTP (uvicorn, {processes} web process{'es' if processes > 1 else ''} for the warm pool's "
          f"server), {engine}, task {result['task']}; databases ready in {result['setup_s']} s")
    print(f"{'':64}{'p50 ms':>10}{'p99 ms':>10}{'n':>6}")
    for label, row in rows:
        print(f"{label:64}{row['p50'] or 0:>10.1f}{row['p99'] or 0:>10.1f}{row['n']:>6}")
    if isinstance(clicks, str):
        print(f"{'browser click step':64}{clicks}")
    for name, levels, held in (("back to back", result["levels"], result["max_concurrent"]),
                               (f"agents thinking {AGENT_THINK_S:g} s between steps", result["agent_levels"],
                                result["max_agents"])):
        for level in levels:
            print(f"{level['clients']:>3} episodes stepping at once, {name}: step p50 {level['step_ms']['p50']} ms, "
                  f"p99 {level['step_ms']['p99']} ms, {level['steps_per_s']} steps/s, {len(level['errors'])} errors "
                  f"{level['errors'][:1] or ''}")
        found = _limit_found(levels, held)
        print(f"largest number of concurrent API episodes, {name}, with step p99 under {STEP_LIMIT_S * 1000:.0f} ms "
              f"and no errors: {held}" + ("" if found else " (every load tried held: the limit is higher)"))
    if result["reset_burst_errors"]:
        print(f"burst reset errors: {result['reset_burst_errors'][:3]}")
    figures = machine()
    print(f"machine: {figures['cores']} cores, {figures['ram_gb']} GB RAM, 1-min load {figures['load_average_1m']} "
          "(other work on the machine slows every figure above)")
    final = {"engine": engine, "quick": quick, "task": result["task"], "date": figures.pop("date"), "machine": figures}
    keys = ["reset_warm", "reset_burst", "reset_cold", "step_1", "step_25", "step_50", "step_all", "openenv_ws_reset",
            "openenv_ws_step"]
    for key, (_, row) in zip(keys, rows[:len(keys)], strict=True):
        final[f"{key}_p50_ms"], final[f"{key}_p99_ms"] = row["p50"], row["p99"]
    final["reset_burst_clients"] = QUICK["burst"] if quick else FULL["burst"]
    final["reset_burst_errors"] = len(result["reset_burst_errors"])
    final["web_processes"] = processes
    final["max_concurrent_episodes"] = result["max_concurrent"]
    final["max_concurrent_limit_found"] = _limit_found(result["levels"], result["max_concurrent"])
    final["max_concurrent_agents_thinking_1s"] = result["max_agents"]
    final["max_concurrent_agents_limit_found"] = _limit_found(result["agent_levels"], result["max_agents"])
    final["steps_per_s_max"] = max((level["steps_per_s"] or 0 for level in result["levels"]), default=None)
    final["concurrency"] = [{"clients": level["clients"], "think_s": level["think_s"],
                             "step_p50_ms": level["step_ms"]["p50"], "step_p99_ms": level["step_ms"]["p99"],
                             "steps_per_s": level["steps_per_s"], "errors": len(level["errors"])}
                            for level in result["levels"] + result["agent_levels"]]
    final["browser_click_p50_ms"] = p50_p99(clicks)["p50"] if isinstance(clicks, list) else None
    final["browser_click_p99_ms"] = p50_p99(clicks)["p99"] if isinstance(clicks, list) else None
    if isinstance(clicks, str):
        final["browser_note"] = clicks
    return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke test of the bench, not figures")
    parser.add_argument("--data-dir", help="EHRGYM_DATA_DIR to use and keep (default: a temporary one)")
    parser.add_argument("--web-processes", type=int, default=1,
                        help="web processes of the warm pool's server (python -m ehrsite.serve; more than one needs "
                             "--engine postgres)")
    args = parser.parse_args()
    if args.web_processes < 1 or (args.web_processes > 1 and args.engine != "postgres"):
        parser.error("--web-processes must be 1, or more with --engine postgres")
    counts = QUICK if args.quick else FULL
    with bench_environment(args.engine, PG_URL, data_dir=args.data_dir, prefix="ehrgym-http-bench-") as (data_dir, env):
        result = measure(counts, env, data_dir, args.web_processes)
    print(json.dumps(report(args.engine, args.quick, result)))


if __name__ == "__main__":
    main()
