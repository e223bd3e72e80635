"""Browser steps with local Chromium and on a Selenium Grid: what an agent waits for, through the REST API of a real
web server, once per browser location.

    .venv/bin/python bench/grid_bench.py --grid-url http://127.0.0.1:4444 [--steps 30] [--data-dir DIR]

The grid must run Chromium on this machine (README, "Scale out", starts a standalone Selenium server), so the two
figures differ by what the grid adds: WebDriver commands through the Selenium server, cookies set by WebDriver
rather than DevTools, WebDriver screenshots. Each run starts the server as `make run` does, resets a browser episode
(not timed: it starts the browser) and times click steps between the patient list and a chart. Prints a table and,
as its last line, one JSON object.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from browser_bench import Agent, click_steps, first_patient
from server import machine, manage, pct, serve, server_env


def measure(env: dict, data_dir: Path, name: str, token: str, steps: int, grid_url: str | None) -> dict:
    run_env = {**env, "EHRGYM_BROWSER_POOL_SIZE": "1"}
    if grid_url:
        run_env["EHRGYM_SELENIUM_REMOTE_URL"] = grid_url

    def run(base: str, _port: int) -> dict:
        agent = Agent(base, token)
        first, _ = agent.reset(mrn="1016091")
        mrn = first_patient(first["observation"])
        agent.close(first["episode_id"])
        time.sleep(3)  # the pool starts the next browser
        body, reset_ms = agent.reset(mrn="1016091")
        try:
            times, infos = click_steps(agent, body["episode_id"], mrn, steps)
            shots, _ = agent.reset(mrn="1016091", screenshot=True)
            shot_times, _ = click_steps(agent, shots["episode_id"], mrn, steps)
            agent.close(shots["episode_id"])
        finally:
            agent.close(body["episode_id"])
        return {"reset_ms": round(reset_ms, 1), "click_p50_ms": round(statistics.median(times), 1),
                "click_p95_ms": round(pct(times, 0.95), 1),
                "click_screenshot_p50_ms": round(statistics.median(shot_times), 1),
                "observe_p50_ms": round(statistics.median(info["observe"] for info in infos), 1)}

    return serve(name, run_env, data_dir, run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid-url", required=True, help="a Selenium Grid whose nodes reach this machine's loopback")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--data-dir", help="an EHRGYM_DATA_DIR with a golden database to use (default: build one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ehrgym-grid-bench-") as scratch:
        data_dir = Path(args.data_dir or scratch)
        env = server_env(data_dir)
        print(f"preparing the databases in {data_dir} ...", file=sys.stderr)
        manage(env, "migrate", "--noinput")
        manage(env, "build_golden")
        token = manage(env, "agent_token", "grid-bench-agent").splitlines()[-1]
        result = {"machine": machine(), "steps": args.steps,
                  "local": measure(env, data_dir, "grid-bench-local", token, args.steps, None),
                  "grid": measure(env, data_dir, "grid-bench-grid", token, args.steps, args.grid_url)}
    print(f"{'':36}{'local':>10}{'grid':>10}")
    for key in ("reset_ms", "click_p50_ms", "click_p95_ms", "click_screenshot_p50_ms", "observe_p50_ms"):
        print(f"{key:36}{result['local'][key]:>10}{result['grid'][key]:>10}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
