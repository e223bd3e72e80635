"""`python -m training.grpo`: GRPO on live EHRGym episodes, the semantic actions as tools (TRL).

    python -m training.grpo --model Qwen/Qwen3-1.7B --task ehr/laboratory-medicine.latest-result-v1 \\
        --max-steps 200 --num-generations 8 --per-device-train-batch-size 8 --bf16 --use-vllm

Each dataset row (training.task_dataset) is a task instance; each of its `num_generations`
rollouts runs in its own episode (EHRGymToolEnv), and the episode's return is the reward.
Every step prints one line: reward mean and std, success rate, tool calls per episode, the
share of episodes with at most one tool call (the monologue signal), completion length
(model tokens) and the invalid-action rate; the run writes report.json and report.html.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ehrgym_client._codegen import MODULE, render_module
from ehrgym_client.tool_env import EHRGymToolEnv

from training.cli import (
    UsageError,
    add_server_arguments,
    add_training_arguments,
    check_model,
    connect,
    default_output_dir,
    quiet_libraries,
    require_extras,
    run_main,
)
from training.episode_metrics import EpisodeLog, summary
from training.report import report_write, text_table
from training.task_dataset import NoTasks, TaskFilter, task_datasets, tasks_for

STEP_COLUMNS = [
    ("step", "step", False), ("episodes", "episodes", False), ("reward_mean", "reward mean", False),
    ("reward_std", "reward std", False), ("success_rate", "success", True),
    ("tool_calls_per_episode", "tool calls/ep", False), ("monologue_share", "<=1 call", True),
    ("completion_length", "completion tok", False), ("invalid_action_rate", "invalid", True),
]
PLOTS = [("reward_mean", "Reward (episode return), mean", False), ("success_rate", "Success rate", True),
         ("tool_calls_per_episode", "Tool calls per episode", False),
         ("monologue_share", "Episodes with at most one tool call (monologue)", True),
         ("completion_length", "Completion length (model tokens)", False),
         ("invalid_action_rate", "Invalid-action rate", True)]


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.grpo", description=__doc__.split("\n\n")[0])
    add_server_arguments(parser)
    add_training_arguments(parser, learning_rate=1e-6)
    parser.add_argument("--task", action="append", default=[], help="A task id (repeat for more; default: all).")
    parser.add_argument("--tier", default=None, help="Only tasks of this tier (skill, objective, workflow).")
    parser.add_argument("--domain", default=None, help="Only tasks of this clinical domain.")
    parser.add_argument("--train-seeds", type=int, default=64, help="Instances (seeds) per task to train on.")
    parser.add_argument("--heldout-seeds", type=int, default=0,
                        help="Held-out instances per task, evaluated every --eval-steps (0: none).")
    parser.add_argument("--eval-steps", type=int, default=50)
    parser.add_argument("--num-generations", type=int, default=8, help="Rollouts per instance (GRPO's group).")
    parser.add_argument("--max-completion-length", type=int, default=2048,
                        help="Model tokens plus tool results per rollout.")
    parser.add_argument("--max-tool-calling-iterations", type=int, default=30)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--beta", type=float, default=0.0, help="KL coefficient (0: no reference model).")
    parser.add_argument("--use-vllm", action="store_true", help="Generate with vLLM (pip install vllm).")
    parser.add_argument("--vllm-mode", default="colocate", choices=["colocate", "server"])
    return parser


class StepTable:
    """Prints one line per training step as TRL logs it, and keeps the rows for the report."""

    def __init__(self):
        self.rows: list[dict] = []
        self.eval_rows: list[dict] = []

    def callback(self):
        from transformers import TrainerCallback

        table = self

        class StepLines(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                logs = logs or {}
                prefix = "eval_" if any(key.startswith("eval_") for key in logs) else ""
                if f"{prefix}ehrgym/reward_mean" not in logs:
                    return
                row = {"step": state.global_step,
                       **{key: logs.get(f"{prefix}ehrgym/{key}") for key, _, _ in STEP_COLUMNS[1:]},
                       "completion_length": logs.get(f"{prefix}completions/mean_length"),
                       "trl_tool_failure_frequency": logs.get(f"{prefix}tools/failure_frequency"),
                       "loss": logs.get("loss")}
                (table.eval_rows if prefix else table.rows).append(row)
                lines = text_table([row], STEP_COLUMNS).splitlines()
                if len(table.rows) + len(table.eval_rows) == 1:
                    print(lines[0], flush=True)
                print(("eval " if prefix else "") + lines[2], flush=True)

        return StepLines()


def run(args, *, config_overrides: dict | None = None) -> dict:
    """Train; returns the run's summary (also the report's). `config_overrides`: more GRPOConfig fields."""
    model_path = check_model(args.model)
    client = connect(args.base_url, args.token)
    try:
        served = [{"type": a.type, "description": a.description, "json_schema": a.json_schema}
                  for a in client.actions()]
        drifted = render_module(served) != MODULE.read_text()
        tasks = tasks_for(client, TaskFilter(tuple(args.task), args.tier, args.domain))
    except NoTasks as error:
        raise UsageError(str(error)) from None
    finally:
        client.shutdown()
    if drifted:
        print("warning: the server's actions differ from this client's tool methods "
              "(regenerate them: python -m ehrgym_client._codegen)", file=sys.stderr)
    # The tool environment is created by TRL without arguments: it reads the server from the environment.
    os.environ["EHRGYM_BASE_URL"], os.environ["EHRGYM_TOKEN"] = args.base_url, args.token
    require_extras()
    quiet_libraries()
    datasets = task_datasets(tasks, train_seeds=args.train_seeds, heldout_seeds=args.heldout_seeds)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback
    from trl import GRPOConfig, GRPOTrainer

    output_dir = Path(args.output_dir or default_output_dir("grpo"))
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype="bfloat16" if args.bf16 else "float32")
    log, table = EpisodeLog(), StepTable()
    evaluate = args.heldout_seeds > 0
    config = GRPOConfig(
        output_dir=str(output_dir), max_steps=args.max_steps, learning_rate=args.learning_rate,
        per_device_train_batch_size=args.per_device_train_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps, num_generations=args.num_generations,
        max_completion_length=args.max_completion_length, max_tool_calling_iterations=args.max_tool_calling_iterations,
        temperature=args.temperature, beta=args.beta, seed=args.seed, bf16=args.bf16,
        gradient_checkpointing=args.gradient_checkpointing, use_vllm=args.use_vllm, vllm_mode=args.vllm_mode,
        logging_steps=1, report_to="none", disable_tqdm=True, dataloader_pin_memory=torch.cuda.is_available(),
        save_strategy="steps" if args.save_steps else "no",
        save_steps=args.save_steps or 500, eval_strategy="steps" if evaluate else "no", eval_steps=args.eval_steps,
        per_device_eval_batch_size=args.per_device_train_batch_size, **(config_overrides or {}),
    )
    started = time.monotonic()
    try:
        trainer = GRPOTrainer(
            model=model, processing_class=tokenizer, args=config, train_dataset=datasets["train"],
            eval_dataset=datasets["heldout"] if evaluate else None, reward_funcs=[log.reward_function()],
            environment_factory=EHRGymToolEnv, callbacks=[table.callback()],
        )
    except ValueError as error:  # e.g. a chat template without tool calling
        raise UsageError(f"The model cannot be trained with tools: {error}") from None
    trainer.remove_callback(PrinterCallback)  # its raw dicts would bury the table
    trainer.train()
    trainer.save_model(str(output_dir / "final"))
    tokenizer.save_pretrained(str(output_dir / "final"))
    lengths = [row["completion_length"] for row in table.rows if row["completion_length"] is not None]
    result = {"kind": "grpo", "steps": trainer.state.global_step, "seconds": round(time.monotonic() - started, 1),
              **summary(log.rows),
              "completion_length": round(sum(lengths) / len(lengths), 1) if lengths else None,
              "model_dir": str(output_dir / "final")}
    report = {
        "run": {"kind": "GRPO", "model": args.model, "tasks": sorted(set(datasets["train"]["task_id"])),
                "note": "reward = episode return (sum of step rewards); monologue = at most one tool call",
                **{key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()
                   if key != "token"}},
        "summary": result, "steps": table.rows, "eval_steps": table.eval_rows,
        "episodes": [row.as_json() for row in log.rows], "eval_episodes": [row.as_json() for row in log.eval_rows],
    }
    report_write(output_dir, report, plots=PLOTS, step_columns=STEP_COLUMNS)
    result["report"] = str(output_dir / "report.json")
    return result


def main(argv=None) -> int:
    def go(args):
        result = run(args)
        print(f"report: {Path(result['report']).with_suffix('.html')}")
        print(json.dumps(result))

    return run_main(go, argv, parser=parser())


if __name__ == "__main__":
    sys.exit(main())
