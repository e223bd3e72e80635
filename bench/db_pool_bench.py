"""Connection pooling on PostgreSQL, measured as an agent sees it: the same steps through HTTP with the main
database's connections opened per request (EHRGYM_DB_POOL_SIZE=0, as before) and pooled (the default), in one run.

    .venv/bin/python bench/db_pool_bench.py [--quick]

Starts two web servers on PostgreSQL (EHRGYM_BENCH_DB_POOL_POSTGRES_URL, databases dropped at the end), one per
setting, and has them take turns: task steps one after another, then many episodes stepping at once. Prints a
table with the ratio of the two, and, as its last line, one JSON object.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from http_bench import TASK, Agent, cheap_action, concurrent_level
from server import POOL_DRAIN, bench_environment, free_port, machine, manage, p50_p99, start_server, stop_server

PG_URL = os.environ.get("EHRGYM_BENCH_DB_POOL_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_db_pool")
FULL = {"steps": 100, "levels": [16, 32, 64], "level_steps": 10}
QUICK = {"steps": 5, "levels": [2], "level_steps": 2}
SETTINGS = {"per request": "0", "pooled": None}  # EHRGYM_DB_POOL_SIZE (None: the default)


def measure(counts: dict, env: dict, data_dir: Path) -> dict:
    """Both servers run at once and take turns, step by step and load by load, so that other work on the machine
    slows both alike and their ratio stays fair."""
    manage(env, "migrate", "--noinput")
    manage(env, "build_golden")
    manage(env, "tasks", "sync")
    token = manage(env, "agent_token", "db-pool-bench").splitlines()[-1]
    servers, bases = {}, {}
    try:
        for label, size in SETTINGS.items():
            port = free_port()
            server_env = {**env, "EHRGYM_BROWSER_BASE_URL": f"http://127.0.0.1:{port}",
                          **({"EHRGYM_DB_POOL_SIZE": size} if size is not None else {})}
            servers[label] = start_server(server_env, port, log=data_dir / f"db-pool-bench-{label[:3]}.log")
            bases[label] = f"http://127.0.0.1:{port}"
        results = _take_turns(counts, token, bases)
        for label, server in servers.items():
            # A pool keeps at least one connection (its min_size); without one, none need stay open.
            floor = 0 if SETTINGS[label] == "0" else 1
            results[label]["idle_connections"] = _postgres_connections(server.pid, floor)
        return results
    finally:
        for server in servers.values():
            stop_server(server)
        manage(env, *POOL_DRAIN)


def _postgres_connections(pid: int, floor: int, settle_s: float = 20) -> int:
    """Connections the server process holds open to PostgreSQL between requests (its pool's, if it has one): the
    fewest seen over a second or more, up to `settle_s` for a pool refill the last resets started to finish (its
    copies hold connections while it runs, and on a busy machine it outlasted the one second this waited). It stops
    looking once it sees `floor`, the least the server can hold."""
    import psutil

    def count() -> int:
        return sum(1 for c in psutil.Process(pid).net_connections(kind="tcp") if c.raddr and c.raddr.port == 5432
                   and c.status == psutil.CONN_ESTABLISHED)

    time.sleep(1)  # the last requests' connections are closed or returned
    fewest, deadline = count(), time.monotonic() + settle_s
    while fewest > floor and time.monotonic() < deadline:
        time.sleep(0.5)
        fewest = min(fewest, count())
    return fewest


def _take_turns(counts: dict, token: str, bases: dict) -> dict:
    agents = {label: Agent(base, token) for label, base in bases.items()}
    tasks = [task["task_id"] for task in next(iter(agents.values())).http.get(
        f"{next(iter(bases.values()))}/api/v1/tasks", timeout=60).json()]
    task = TASK if TASK in tasks else tasks[0]
    episodes = {}
    for label, agent in agents.items():
        body, _ = agent.reset(task_id=task, seed=0, step_limit=counts["steps"] + 5)
        episodes[label] = (body["episode_id"], cheap_action(body["observation"]))
        agent.step(*episodes[label])  # the server's first step loads what it needs: not timed
    results = {label: {"sequential": [], "levels": []} for label in bases}
    for _ in range(counts["steps"]):
        for label, agent in agents.items():
            results[label]["sequential"].append(agent.step(*episodes[label])[1])
    for label, agent in agents.items():
        agent.close(episodes[label][0])
    for turn, clients in enumerate(counts["levels"]):
        order = list(bases) if turn % 2 == 0 else list(reversed(bases))
        for label in order:
            results[label]["levels"].append(concurrent_level(bases[label], token, task, clients, counts["level_steps"]))
            print(f"  {label}: {clients} clients done", file=sys.stderr)
    return results


def report(results: dict, quick: bool) -> dict:
    rows = [("step, one episode", {label: p50_p99(r["sequential"]) for label, r in results.items()})]
    for index, clients in enumerate((QUICK if quick else FULL)["levels"]):
        rows.append((f"step, {clients} episodes at once",
                     {label: r["levels"][index]["step_ms"] for label, r in results.items()}))
    print("Main-database connections on PostgreSQL through HTTP (uvicorn): opened per request vs pooled")
    print(f"{'':34}{'per request p50/p99 ms':>24}{'pooled p50/p99 ms':>22}{'p50 ratio':>11}")
    final = {"engine": "postgres", "quick": quick, "rows": []}
    for label, figures in rows:
        before, after = figures["per request"], figures["pooled"]
        ratio = round(before["p50"] / after["p50"], 2) if before["p50"] and after["p50"] else None
        print(f"{label:34}{before['p50']:>12.1f}/{before['p99']:<11.1f}{after['p50']:>10.1f}/{after['p99']:<11.1f}"
              f"{ratio or 0:>9.2f}x")
        final["rows"].append({"label": label, "per_request": before, "pooled": after, "p50_ratio": ratio})
    idle = {label: r["idle_connections"] for label, r in results.items()}
    print(f"connections to PostgreSQL held between requests: per request {idle['per request']}, pooled "
          f"{idle['pooled']}")
    errors = sum(len(level["errors"]) for r in results.values() for level in r["levels"])
    figures = machine()
    print(f"errors: {errors}; machine: {figures['cores']} cores, 1-min load {figures['load_average_1m']} "
          "(other work on the machine slows every figure above)")
    final.update({"errors": errors, "idle_connections": idle, "date": figures.pop("date"), "machine": figures})
    return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke test of the bench, not figures")
    args = parser.parse_args()
    started = time.monotonic()
    with bench_environment("postgres", PG_URL, data_dir=None, prefix="ehrgym-db-pool-bench-") as (data_dir, env):
        results = measure(QUICK if args.quick else FULL, env, data_dir)
    final = report(results, args.quick)
    final["seconds"] = round(time.monotonic() - started)
    print(json.dumps(final))


if __name__ == "__main__":
    main()
