"""Load benchmark: many agents at once through the REST API of a real server process (uvicorn), with valid, invalid
and racing actions, resets and closes, checking that no episode sees another's writes and nothing is left behind.

    .venv/bin/python bench/load_bench.py [--engine sqlite|postgres] [--clients N] [--steps S] [--quick] [--data-dir DIR]

Each client has its own agent token and episode (a free goal on one shared patient, a new one every ~50 steps).
Every episode writes a marker problem ("marker-<uuid>") under a code of its own; after each write the writer reads
the problems in its own episode and in CROSS_READS other live episodes, and at the end every live episode is read
once more: a marker of another episode seen anywhere, or any marker in the main or golden database, is a leak.
Required: no 5xx, no leak, no episode database copy left once every episode is closed, the golden database
unchanged. Prints a table and, as its last line, one JSON object; exits 1 if a check fails.
"""

import argparse
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests
from server import bench_environment, machine, manage, p50_p99, serve

PG_URL = os.environ.get("EHRGYM_BENCH_LOAD_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/ehrgym_bench_load")
RESET_EVERY = (40, 60)  # steps of an episode before its client starts a new one
CROSS_READS = 2  # other live episodes read after each marker write (all of them at the end)
MARKER = re.compile(r"marker-[0-9a-f]{32}")
MAX_ACTION_BYTES = 65536  # EHRGYM_MAX_ACTION_BYTES' default: the huge strings stay under it
SECTIONS = ["summary", "medications", "allergies", "results", "vitals", "encounters", "immunizations", "notes"]

# Run in `manage.py shell`: the golden database's fingerprint, markers in the main and golden databases, and episode
# copies that exist although no pool holds them; then closes what is open and drains the pool (nothing is left).
PROBE = """
import hashlib, json
from django.db import connections
from agentenv import snapshots
from agentenv.close import episode_close
from agentenv.models import DatabaseCopy, Episode
from agentenv.pool import pool_drain
from clinical.models import Condition

golden, digest, rows = connections["golden"], hashlib.sha256(), 0
with golden.cursor() as cursor:
    for table in sorted(golden.introspection.table_names(cursor)):
        cursor.execute(f'SELECT * FROM "{table}"')
        lines = sorted(repr(row) for row in cursor.fetchall())
        rows += len(lines)
        digest.update(f"{table} {len(lines)}".encode() + "\\n".join(lines).encode())
markers = {alias: Condition.objects.using(alias).filter(display__startswith="marker-").count()
           for alias in ("default", "golden")}
open_episodes = list(Episode.objects.filter(released_at__isnull=True))
pooled = set(DatabaseCopy.objects.values_list("name", flat=True))
left = [copy.name for copy in snapshots.copies_existing() if copy.name not in pooled]
for episode in open_episodes:
    episode_close(episode=episode)
pool_drain()
for copy in snapshots.copies_existing():
    snapshots.copy_drop(copy)
print(json.dumps({"golden": {"rows": rows, "sha256": digest.hexdigest()}, "markers": markers,
                  "open_episodes": len(open_episodes), "copies_left": left}))
"""

SETUP = """
import json
from django.core.management import call_command
from clinical.models import Patient
for i in range({clients}):
    call_command("agent_token", f"load-bench-{{i}}")
print(json.dumps(list(Patient.objects.using("golden").order_by("mrn").values_list("mrn", flat=True)[:1])))
"""


class Episode:
    """An open episode of a client, and the marker it writes."""

    def __init__(self, episode_id: str, client: "Client"):
        self.id, self.client = episode_id, client
        self.marker = f"marker-{uuid.uuid4().hex}"
        self.written = False  # its marker was written: a read of its problems must show it


class Run:
    """What every client records: each request's kind, status and latency; leaks; unexpected answers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[tuple[str, int, float]] = []
        self.server_errors: list[str] = []
        self.leaks: list[str] = []
        self.unexpected: Counter = Counter()
        self.unexpected_examples: list[str] = []
        self.live: dict[str, Episode] = {}  # episode id -> its episode, while it is open

    def record(self, kind: str, status: int, ms: float, what: str, response_text: str) -> None:
        with self.lock:
            self.requests.append((kind, status, ms))
            if status >= 500 or status == 0:
                self.server_errors.append(f"{kind} {what[:200]} -> {status} {response_text[:300]}")

    def odd(self, kind: str, detail: str) -> None:
        with self.lock:
            self.unexpected[kind] += 1
            if len(self.unexpected_examples) < 10:
                self.unexpected_examples.append(f"{kind}: {detail[:300]}")

    def leak(self, detail: str) -> None:
        with self.lock:
            self.leaks.append(detail)


class Client:
    """One agent: its own token and HTTP connection, recording every request in the run."""

    def __init__(self, base: str, token: str, run: Run):
        self.base, self.token, self.run = base, token, run
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def request(self, kind: str, method: str, path: str, **kwargs) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, f"{self.base}/api/v1/{path}", timeout=300, **kwargs)
        except requests.RequestException as error:  # the server failed to answer: counted with the 5xx
            self.run.record(kind, 0, (time.perf_counter() - started) * 1000, f"{method} {path}", repr(error))
            return None
        what = f"{method} {path} {kwargs.get('json') or kwargs.get('data') or ''}"
        self.run.record(kind, response.status_code, (time.perf_counter() - started) * 1000, what, response.text)
        return response

    def step(self, kind: str, episode: Episode, action: dict) -> dict | None:
        """A valid step; its JSON body when answered 200. 409 is expected too: another client's isolation read of
        the episode committed first, or its client closed it."""
        response = self.request(kind, "POST", f"episodes/{episode.id}/step", json={"action": action})
        if response is None or response.status_code >= 500:
            return None
        if response.status_code == 200:
            return response.json()
        if response.status_code != 409:
            self.run.odd(kind, f"{response.status_code} {response.text}")
        return None

    def read_problems(self, kind: str, episode: Episode) -> None:
        """Read the problems of the episode's patient; any marker but its own is a leak."""
        answer = self.step(kind, episode, {"type": "read_chart_section", "section": "problems", "limit": 200})
        if answer is None:
            return
        seen = set(MARKER.findall(json.dumps(answer["observation"]["last_action_result"])))
        for foreign in seen - {episode.marker}:
            self.run.leak(f"episode {episode.id} ({kind}) shows {foreign}")
        if episode.written and episode.marker not in seen and answer["observation"]["last_action_error"] is None:
            self.run.odd("own marker missing", f"episode {episode.id} does not show its own {episode.marker}")


class Agent(Client):
    """A client running its mix of steps, resets and closes."""

    def __init__(self, base: str, token: str, run: Run, mrn: str, seed: int):
        super().__init__(base, token, run)
        self.mrn, self.rng, self.episode, self.left = mrn, random.Random(seed), None, 0

    def reset(self) -> None:
        response = self.request("reset", "POST", "episodes", json={
            "patient_mrn": self.mrn, "instruction": "Load benchmark: read and write the chart.", "step_limit": 1000})
        if response is None or response.status_code != 201:
            if response is not None and response.status_code < 500:
                self.run.odd("reset refused", f"{response.status_code} {response.text}")
            self.episode = None
            return
        self.episode = Episode(response.json()["episode_id"], self)
        self.left = self.rng.randint(*RESET_EVERY)
        with self.run.lock:
            self.run.live[self.episode.id] = self.episode

    def close(self, kind: str = "close") -> None:
        episode, self.episode = self.episode, None
        with self.run.lock:
            self.run.live.pop(episode.id, None)
        response = self.request(kind, "DELETE", f"episodes/{episode.id}")
        if response is not None and response.status_code != 200 and response.status_code < 500:
            self.run.odd(kind, f"{response.status_code} {response.text}")

    def turn(self) -> None:
        """One of the client's steps: a new episode when due, then one operation of the mix."""
        if self.episode is None or self.left <= 0:
            if self.episode is not None:
                self.close()
            self.reset()
            if self.episode is None:
                return
        self.left -= 1
        roll = self.rng.random()
        if roll < 0.62:
            self.valid()
        elif roll < 0.82:
            self.invalid()
        elif roll < 0.90:
            self.race_steps()
        elif roll < 0.94:
            self.race_close()
        elif roll < 0.97:
            self.close()
        else:
            self.request("state", "GET", f"episodes/{self.episode.id}")

    def valid(self) -> None:
        kind = self.rng.choice(["open_chart", "read_chart_section", "problems", "get_observations", "search_patients",
                                "add_problem", "record_vitals"])
        if kind == "problems":
            return self.read_problems("step valid", self.episode)
        if kind == "add_problem":
            return self.write_marker()
        action = {
            "open_chart": {"type": "open_chart", "mrn": self.mrn},
            "read_chart_section": {"type": "read_chart_section", "section": self.rng.choice(SECTIONS),
                                   "mrn": self.mrn},
            "get_observations": {"type": "get_observations", "loinc": "8867-4", "mrn": self.mrn},
            "search_patients": {"type": "search_patients", "query": self.mrn},
            "record_vitals": {"type": "record_vitals", "mrn": self.mrn,
                              "values": {"heart_rate": self.rng.randint(50, 120), "spo2": self.rng.randint(90, 100)}},
        }[kind]
        answer = self.step("step valid", self.episode, action)
        if answer is not None and answer["observation"]["last_action_error"] is not None:
            self.run.odd(f"valid {kind} failed", answer["observation"]["last_action_error"])

    def write_marker(self) -> None:
        """add_problem with this episode's marker under a code of its own, then the isolation reads."""
        episode = self.episode
        code = str(self.rng.randint(10**14, 10**15 - 1))  # a new code: a second problem with one code is refused
        answer = self.step("step valid", episode, {"type": "add_problem", "mrn": self.mrn, "code": code,
                                                   "display": f"{episode.marker} load bench"})
        if answer is None:
            return
        if answer["observation"]["last_action_error"] is not None:
            return self.run.odd("valid add_problem failed", answer["observation"]["last_action_error"])
        episode.written = True
        self.read_problems("isolation read", episode)
        with self.run.lock:
            others = [other for other in self.run.live.values() if other is not episode]
        for other in self.rng.sample(others, min(CROSS_READS, len(others))):
            Client(self.base, other.client.token, self.run).read_problems("isolation read", other)

    def invalid(self) -> None:
        """A mistaken request: answered 400, or 200 with the error in the observation (409 if another client's
        isolation read of the episode committed first), never 5xx."""
        kind = self.rng.choice(["unknown type", "wrong types", "huge string", "nul", "malformed json", "not object"])
        path = f"episodes/{self.episode.id}/step"
        if kind == "malformed json":
            body = {"data": '{"action": {"type": "open_chart", "mrn": ',
                    "headers": {"Content-Type": "application/json"}}
        else:
            action = {
                "unknown type": {"type": "teleport_patient", "mrn": self.mrn},
                "wrong types": {"type": "get_observations", "loinc": ["8867-4"], "limit": "many", "mrn": 42},
                "huge string": {"type": "add_problem", "code": "44054006", "mrn": self.mrn,
                                "display": "x" * (MAX_ACTION_BYTES - 200)},
                "nul": {"type": "search_patients", "query": "Sm\u0000ith"},
                "not object": ["open_chart", self.mrn],
            }[kind]
            body = {"json": {"action": action}}
        response = self.request("step invalid", "POST", path, **body)
        if response is None or response.status_code >= 500:
            return
        if response.status_code == 200 and response.json()["observation"]["last_action_error"] is None:
            self.run.odd(f"invalid {kind} accepted", response.text)
        elif response.status_code not in (200, 400, 409):
            self.run.odd(f"invalid {kind}", f"{response.status_code} {response.text}")

    def race_steps(self) -> None:
        """Two steps of the same episode at once: each answered 200 or 409 (the other committed first)."""
        action = {"type": "read_chart_section", "section": "summary", "mrn": self.mrn}
        answers: list = []
        twin = Client(self.base, self.token, self.run)  # a connection of its own, as a second worker would have
        racer = threading.Thread(target=lambda: answers.append(
            twin.request("step race", "POST", f"episodes/{self.episode.id}/step", json={"action": action})))
        racer.start()
        answers.append(self.request("step race", "POST", f"episodes/{self.episode.id}/step", json={"action": action}))
        racer.join()
        for response in answers:
            if response is not None and response.status_code not in (200, 409) and response.status_code < 500:
                self.run.odd("step race", f"{response.status_code} {response.text}")

    def race_close(self) -> None:
        """A step racing the close of its episode: the step answers 200 or 409, the close 200."""
        episode = self.episode
        answers: list = []
        twin = Client(self.base, self.token, self.run)
        racer = threading.Thread(target=lambda: answers.append(twin.request(
            "step racing close", "POST", f"episodes/{episode.id}/step",
            json={"action": {"type": "add_problem", "mrn": self.mrn, "code": str(self.rng.randint(10**14, 10**15 - 1)),
                             "display": f"{episode.marker} racing"}})))
        racer.start()
        self.close("close racing step")
        racer.join()
        for response in answers:
            if response is not None and response.status_code not in (200, 409) and response.status_code < 500:
                self.run.odd("step racing close", f"{response.status_code} {response.text}")


def drive(base: str, tokens: list[str], mrn: str, steps: int, run: Run) -> None:
    """Every client's steps at once; then every live episode is read once more and closed."""
    agents = [Agent(base, token, run, mrn, seed) for seed, token in enumerate(tokens)]
    errors: list[str] = []

    def work(agent: Agent) -> None:
        try:
            for _ in range(steps):
                agent.turn()
        except Exception as error:  # a bench bug or a garbled answer: reported, the others go on
            errors.append(f"{type(error).__name__}: {error}"[:300])

    threads = [threading.Thread(target=work, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for message in errors:
        run.odd("client crashed", message)
    for episode in list(run.live.values()):
        episode.client.read_problems("final read", episode)
    for agent in agents:
        if agent.episode is not None:
            agent.close()
    time.sleep(1)  # a pool refill still copying when the server stops would leave a half-made copy


def measure(env: dict, data_dir: Path, clients: int, steps: int) -> dict:
    started = time.monotonic()
    manage(env, "migrate", "--noinput")
    manage(env, "build_golden")
    *token_lines, mrns = manage(env, "shell", "-c", SETUP.format(clients=clients)).splitlines()
    tokens, mrn = token_lines[-clients:], json.loads(mrns)[0]
    before = json.loads(manage(env, "shell", "-c", PROBE).splitlines()[-1])
    result: dict = {"setup_s": round(time.monotonic() - started, 1), "mrn": mrn, "before": before}
    print(f"databases ready in {result['setup_s']} s; {clients} clients x {steps} steps ...", file=sys.stderr)
    run = Run()
    started = time.monotonic()
    serve("load-bench", env, data_dir, lambda base, port: drive(base, tokens, mrn, steps, run))
    result["run_s"] = round(time.monotonic() - started, 1)
    result["after"] = json.loads(manage(env, "shell", "-c", PROBE).splitlines()[-1])
    result["run"] = run
    return result


def report(engine: str, clients: int, steps: int, result: dict) -> dict:
    run, before, after = result["run"], result["before"], result["after"]
    by_kind: dict[str, list] = {}
    for kind, status, ms in run.requests:
        by_kind.setdefault(kind, []).append((status, ms))
    print(f"EHRGym under load through HTTP (uvicorn), {engine}: {clients} clients x {steps} steps on patient "
          f"{result['mrn']}, {result['run_s']} s")
    print(f"{'request':22}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'2xx':>7}{'4xx':>6}{'5xx':>6}  other")
    for kind, rows in [*sorted(by_kind.items()), ("all", [(s, ms) for _, s, ms in run.requests])]:
        figures, classes = p50_p99([ms for _, ms in rows]), Counter(status // 100 for status, _ in rows)
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(Counter(s for s, _ in rows).items()) if s // 100 == 4)
        print(f"{kind:22}{len(rows):>7}{figures['p50']:>10.1f}{figures['p99']:>10.1f}{classes[2]:>7}{classes[4]:>6}"
              f"{classes[5] + classes[0]:>6}  {statuses}")
    leaks = len(run.leaks) + sum(after["markers"].values())
    checks = {
        "server errors (5xx or no answer)": (len(run.server_errors), not run.server_errors),
        "leaks (foreign markers seen)": (f"{len(run.leaks)} in episodes, {after['markers']['default']} in main, "
                                         f"{after['markers']['golden']} in golden", leaks == 0),
        "episode databases left": (len(after["copies_left"]), not after["copies_left"]),
        "golden database unchanged": (f"{before['golden']['rows']} -> {after['golden']['rows']} rows, sha256 "
                                      f"{before['golden']['sha256'][:12]} -> {after['golden']['sha256'][:12]}",
                                      before["golden"] == after["golden"]),
    }
    for label, (value, passed) in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {label}: {value}")
    print(f"episodes still open after the run: {after['open_episodes']}; unexpected answers (not failures): "
          f"{dict(run.unexpected) or 0}")
    for line in [*run.server_errors[:10], *run.leaks[:10], *run.unexpected_examples]:
        print(f"  {line}")
    times = [ms for _, _, ms in run.requests]
    figures = machine()
    print(f"machine: {figures['cores']} cores, {figures['ram_gb']} GB RAM, 1-min load {figures['load_average_1m']} "
          "(other work on the machine slows every figure above)")
    return {"engine": engine, "clients": clients, "steps": steps, "requests": len(run.requests),
            "server_errors": len(run.server_errors), "leaks": leaks, "databases_left": len(after["copies_left"]),
            "golden_unchanged": before["golden"] == after["golden"], "p50_ms": p50_p99(times)["p50"],
            "p99_ms": p50_p99(times)["p99"], "status_counts": {str(s): n for s, n in
                                                               sorted(Counter(s for _, s, _ in run.requests).items())},
            "unexpected": dict(run.unexpected), "episodes_open_after": after["open_episodes"],
            "server_error_examples": run.server_errors[:5], "leak_examples": run.leaks[:5],
            "run_s": result["run_s"], "passed": all(passed for _, passed in checks.values()),
            "date": figures.pop("date"), "machine": figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=32, help="agents at once (at most EHRGYM_MAX_EPISODES, 64)")
    parser.add_argument("--steps", type=int, default=200, help="steps of each agent")
    parser.add_argument("--quick", action="store_true", help="4 clients x 20 steps: a smoke test of the bench")
    parser.add_argument("--data-dir", help="EHRGYM_DATA_DIR to use and keep (default: a temporary one)")
    args = parser.parse_args()
    clients, steps = (4, 20) if args.quick else (args.clients, args.steps)
    with bench_environment(args.engine, PG_URL, data_dir=args.data_dir, prefix="ehrgym-load-bench-") as (data_dir, env):
        final = report(args.engine, clients, steps, measure(env, data_dir, clients, steps))
    print(json.dumps(final))
    sys.exit(0 if final["passed"] else 1)


if __name__ == "__main__":
    main()
