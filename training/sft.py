"""`python -m training.sft`: supervised fine-tuning on exported trajectories (TRL's SFTTrainer).

    manage.py evaluate --agent oracle --episodes 500 --workers 2      # prints the evaluation id
    manage.py export_trajectories --run ID --format sft --successful-only --out var/sft.jsonl
    python -m training.sft --model Qwen/Qwen3-1.7B --data var/sft.jsonl --max-steps 500 --bf16

The data is TRL's conversational tool-calling format (`messages` with `tool_calls`, `tools`),
the conversations the TRL tool environment holds, so a model fine-tuned here starts GRPO
(python -m training.grpo --model <output>/final) on familiar ground. The loss is on the
model's own turns only (assistant_only_loss). Each step prints its loss and token accuracy;
the report adds what the data holds: episodes, success, tool calls per episode and the share
with at most one tool call.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from training.cli import (
    UsageError,
    add_training_arguments,
    check_model,
    default_output_dir,
    quiet_libraries,
    require_extras,
    run_main,
)
from training.episode_metrics import MONOLOGUE_MAX_CALLS, tool_calls_in
from training.report import report_write, text_table

STEP_COLUMNS = [("step", "step", False), ("loss", "loss", False), ("mean_token_accuracy", "token accuracy", True),
                ("num_tokens", "tokens seen", False), ("learning_rate", "learning rate", False)]
PLOTS = [("loss", "Training loss", False), ("mean_token_accuracy", "Token accuracy (model turns)", True)]


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.sft", description=__doc__.split("\n\n")[0])
    add_training_arguments(parser, learning_rate=2e-5)
    parser.add_argument("--data", type=Path, required=True,
                        help="JSONL from `manage.py export_trajectories --format sft`.")
    parser.add_argument("--num-train-epochs", type=float, default=1.0, help="Used when --max-steps is 0.")
    parser.add_argument("--max-length", type=int, default=16384,
                        help="Longest tokenized conversation (the tool schemas alone are ~7k tokens); "
                             "longer ones are cut.")
    return parser


def data_summary(rows: list[dict]) -> dict:
    calls = [tool_calls_in(row["messages"])[0] for row in rows]
    n = len(rows)
    return {
        "episodes": n,
        "successful_share": round(sum(bool(row.get("success")) for row in rows) / n, 4),
        "tool_calls_per_episode": round(sum(calls) / n, 4),
        "monologue_share": round(sum(c <= MONOLOGUE_MAX_CALLS for c in calls) / n, 4),
    }


def _load(path: Path):
    from datasets import load_dataset

    try:
        dataset = load_dataset("json", data_files=str(path), split="train")
    except Exception as error:  # datasets raises several kinds for a file that is not JSONL
        raise UsageError(f"{path} is not JSONL that datasets can read: {error}") from None
    if not len(dataset) or "messages" not in dataset.column_names:
        raise UsageError(f"{path} has no conversations (rows with `messages`).")
    return dataset


def run(args) -> dict:
    model_path = check_model(args.model)
    if not args.data.is_file():
        raise UsageError(f"No SFT data at {args.data} (write it with manage.py export_trajectories --format sft).")
    require_extras()
    quiet_libraries()
    dataset = _load(args.data)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, PrinterCallback, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    output_dir = Path(args.output_dir or default_output_dir("sft"))
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype="bfloat16" if args.bf16 else "float32")
    steps: list[dict] = []

    class StepLines(TrainerCallback):
        def on_log(self, args_, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            row = {"step": state.global_step, **{key: logs.get(key) for key, _, _ in STEP_COLUMNS[1:]}}
            steps.append(row)
            lines = text_table([row], STEP_COLUMNS).splitlines()
            print(*(lines[:1] if len(steps) == 1 else []), lines[2], sep="\n", flush=True)

    config = SFTConfig(
        output_dir=str(output_dir), max_steps=args.max_steps or -1, num_train_epochs=args.num_train_epochs,
        learning_rate=args.learning_rate, per_device_train_batch_size=args.per_device_train_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps, seed=args.seed, bf16=args.bf16,
        gradient_checkpointing=args.gradient_checkpointing, max_length=args.max_length, assistant_only_loss=True,
        logging_steps=1, report_to="none", disable_tqdm=True, dataloader_pin_memory=torch.cuda.is_available(),
        save_strategy="steps" if args.save_steps else "no",
        save_steps=args.save_steps or 500,
    )
    started = time.monotonic()
    trainer = SFTTrainer(model=model, processing_class=tokenizer, args=config, train_dataset=dataset,
                         callbacks=[StepLines()])
    trainer.remove_callback(PrinterCallback)  # its raw dicts would bury the table
    trainer.train()
    trainer.save_model(str(output_dir / "final"))
    tokenizer.save_pretrained(str(output_dir / "final"))
    result = {"kind": "sft", "steps": trainer.state.global_step, "seconds": round(time.monotonic() - started, 1),
              "final_loss": steps[-1]["loss"] if steps else None, "data": data_summary(list(dataset)),
              "model_dir": str(output_dir / "final")}
    report = {
        "run": {"kind": "SFT", "model": args.model, "note": "loss on the model's turns only; data: " +
                json.dumps(result["data"]),
                **{key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()}},
        "summary": {key: value for key, value in result.items() if key != "data"} | result["data"],
        "steps": steps,
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
