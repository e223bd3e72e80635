"""`make train-smoke`: SFT then GRPO end to end against live episodes, in a few minutes on a CPU.

Without EHRGYM_BASE_URL it starts its own server (SQLite in var/train-smoke/server, the
shipped population and task library, the web server on a free port) and stops it at the end. It
runs the task's oracle on a few instances and exports them as SFT conversations
(manage.py evaluate + export_trajectories --format sft, on that server's database, or on
this checkout's configured database when a server is given), builds a tiny Qwen-style model
and a tokenizer trained here, runs --sft-steps SFT steps and --grpo-steps GRPO steps in
live episodes, then prints a table and, last, one JSON line: sft_steps, grpo_steps,
episodes, mean_reward, tool_calls_per_episode, monologue_share. A randomly initialised
model talks instead of calling tools, so expect a monologue share near 1: the figures are
there to show the whole path runs and what the logs look like.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from training.cli import UsageError, add_server_arguments, run_main
from training.report import text_table

ROOT = Path(__file__).resolve().parent.parent
TASK = "ehr/laboratory-medicine.latest-result-v1"


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.smoke", description=__doc__.split("\n\n")[0])
    add_server_arguments(parser)
    parser.set_defaults(base_url=os.environ.get("EHRGYM_BASE_URL", ""))
    parser.add_argument("--task", default=TASK, help="The task to train on (default: %(default)s).")
    parser.add_argument("--sft-steps", type=int, default=2)
    parser.add_argument("--grpo-steps", type=int, default=2)
    parser.add_argument("--oracle-episodes", type=int, default=4, help="Oracle episodes exported for SFT.")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "train-smoke")
    return parser


def manage(*args: str, env: dict) -> str:
    """Run a manage.py command; its stdout, or a UsageError with the end of its output."""
    done = subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise UsageError(f"manage.py {' '.join(args)} failed: {(done.stderr or done.stdout).strip()[-600:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalServer:
    """A server of our own: its own SQLite data directory, the web server (as `make run` starts it) on a free
    port."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
        self.env["EHRGYM_DATA_DIR"] = str(data_dir)
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> tuple[str, str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        manage("migrate", "--noinput", env=self.env)
        manage("build_golden", env=self.env)  # kept between runs unless a migration makes it stale
        manage("tasks", "sync", env=self.env)
        token = manage("agent_token", "smoke", env=self.env).strip().splitlines()[-1]
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = (self.data_dir / "server.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ehrsite.serve", "-b", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, env={**self.env, "EHRGYM_BROWSER_BASE_URL": self.url}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise UsageError(f"The server stopped at start; see {self.data_dir / 'server.log'}")
            try:
                if httpx.get(f"{self.url}/openenv/health", timeout=2).status_code == 200:
                    return self.url, token
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        raise UsageError(f"The server did not answer within 60 s; see {self.data_dir / 'server.log'}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the session we started for it, nothing else
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def oracle_sft_data(*, task: str, episodes: int, out: Path, env: dict) -> Path:
    """The task's oracle on `episodes` instances, exported as SFT conversations."""
    evaluated = manage("evaluate", "--agent", "oracle", "--task", task, "--episodes", str(episodes), "--seed", "0",
                       "--out", str(out / "oracle-report"), env=env)
    run_id = json.loads(evaluated.strip().splitlines()[-1])["evaluation"]
    path = out / "sft.jsonl"
    manage("export_trajectories", "--run", str(run_id), "--format", "sft", "--successful-only", "--out", str(path),
           env=env)
    return path


def run(args) -> dict:
    started = time.monotonic()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    server = None if args.base_url else LocalServer(out / "server")
    try:
        if server is not None:
            print("starting a server (SQLite, the shipped population) ...", flush=True)
            base_url, token = server.start()
            data_env = server.env
        else:
            base_url, token, data_env = args.base_url, args.token, dict(os.environ)
        print(f"server {base_url}; oracle episodes for SFT ...", flush=True)
        sft_data = oracle_sft_data(task=args.task, episodes=args.oracle_episodes, out=out, env=data_env)
        return train(args, base_url=base_url, token=token, sft_data=sft_data, out=out, started=started)
    finally:
        if server is not None:
            server.stop()


def train(args, *, base_url: str, token: str, sft_data: Path, out: Path, started: float) -> dict:
    from ehrgym_client.tool_env import tool_schemas

    from training import grpo, sft
    from training.cli import quiet_libraries
    from training.tiny_model import build_tiny_model, tokenizer_corpus

    quiet_libraries()
    model_dir = out / "tiny-model"
    shutil.rmtree(model_dir, ignore_errors=True)
    build_tiny_model(model_dir, tokenizer_corpus(tools=tool_schemas(), texts=sft_data.read_text().splitlines()))
    print(f"\nSFT: {args.sft_steps} steps on {sft_data.name}", flush=True)
    sft_args = sft.parser().parse_args([
        "--model", str(model_dir), "--data", str(sft_data), "--max-steps", str(args.sft_steps),
        "--per-device-train-batch-size", "2", "--learning-rate", "1e-3", "--output-dir", str(out / "sft")])
    tuned = sft.run(sft_args)
    print(f"\nGRPO: {args.grpo_steps} steps in live episodes of {args.task}", flush=True)
    grpo_args = grpo.parser().parse_args([
        "--model", tuned["model_dir"], "--base-url", base_url, "--token", token, "--task", args.task,
        "--max-steps", str(args.grpo_steps), "--num-generations", "2", "--per-device-train-batch-size", "2",
        "--max-completion-length", "96", "--train-seeds", "8", "--learning-rate", "1e-4",
        "--output-dir", str(out / "grpo")])
    trained = grpo.run(grpo_args)
    seconds = round(time.monotonic() - started, 1)
    rows = [
        {"phase": "sft", "steps": tuned["steps"], "episodes": tuned["data"]["episodes"], "loss": tuned["final_loss"],
         "reward_mean": None, "tool_calls_per_episode": tuned["data"]["tool_calls_per_episode"],
         "monologue_share": tuned["data"]["monologue_share"], "report": tuned["report"]},
        {"phase": "grpo", "steps": trained["steps"], "episodes": trained["episodes"], "loss": None,
         "reward_mean": trained["reward_mean"], "tool_calls_per_episode": trained["tool_calls_per_episode"],
         "monologue_share": trained["monologue_share"], "report": trained["report"]},
    ]
    print(f"\nsmoke run: {seconds} s (SFT figures are of its data, GRPO figures of its live episodes)")
    print(text_table(rows, [("phase", "phase", False), ("steps", "steps", False), ("episodes", "episodes", False),
                            ("loss", "final loss", False), ("reward_mean", "reward mean", False),
                            ("tool_calls_per_episode", "tool calls/ep", False),
                            ("monologue_share", "<=1 call", True), ("report", "report", False)]))
    return {"sft_steps": tuned["steps"], "grpo_steps": trained["steps"], "episodes": trained["episodes"],
            "mean_reward": trained["reward_mean"], "tool_calls_per_episode": trained["tool_calls_per_episode"],
            "monologue_share": trained["monologue_share"]}


def main(argv=None) -> int:
    def go(args):
        result = run(args)
        print(json.dumps(result), flush=True)

    return run_main(go, argv, parser=parser())


if __name__ == "__main__":
    sys.exit(main())
