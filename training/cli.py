"""What the entry points share: the server connection, the model check, one-line errors."""

import argparse
import os
import re
import sys
import time
from pathlib import Path

from ehrgym_client import EHRGymClient, EHRGymError
from ehrgym_client.client import DEFAULT_BASE_URL

# "org/name", as the Hugging Face Hub names models; anything else must be a directory here.
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


class UsageError(Exception):
    """A mistake in how the command was called or set up: reported in one line, no traceback."""


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default=os.environ.get("EHRGYM_BASE_URL") or DEFAULT_BASE_URL,
                        help="The EHRGym server (default: $EHRGYM_BASE_URL or %(default)s).")
    parser.add_argument("--token", default=os.environ.get("EHRGYM_TOKEN", ""),
                        help="API token (default: $EHRGYM_TOKEN; `manage.py agent_token USERNAME` prints one).")


def add_training_arguments(parser: argparse.ArgumentParser, *, learning_rate: float) -> None:
    parser.add_argument("--model", required=True,
                        help="A model directory (from_pretrained), or a Hub id when online.")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="Checkpoints and report (default: var/train/<time>-<kind>).")
    parser.add_argument("--max-steps", type=int, default=100, help="Optimizer steps.")
    parser.add_argument("--learning-rate", type=float, default=learning_rate)
    parser.add_argument("--per-device-train-batch-size", type=int, default=4)
    parser.add_argument("--gradient-accumulation-steps", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bf16", action="store_true", help="bfloat16 training (GPUs that have it).")
    parser.add_argument("--gradient-checkpointing", action="store_true", help="Trade compute for memory.")
    parser.add_argument("--save-steps", type=int, default=0, help="Checkpoint every N steps (0: only at the end).")


def connect(base_url: str, token: str) -> EHRGymClient:
    """A client whose server answered and accepted the token, else a UsageError saying which."""
    if not token:
        raise UsageError("No API token: pass --token or set EHRGYM_TOKEN (`manage.py agent_token USERNAME`).")
    client = EHRGymClient(base_url, token, retries=5)
    try:
        client.tasks()
    except EHRGymError as error:
        client.shutdown()
        raise UsageError(f"EHRGym at {base_url}: {error}") from None
    return client


def check_model(model: str) -> str:
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    if not HUB_ID.match(model):
        raise UsageError(f"No model directory at {model}.")
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise UsageError(f"No model directory at {model}, and HF_HUB_OFFLINE=1 forbids downloading it from the Hub.")
    return model


def require_extras() -> None:
    """torch, TRL, transformers and datasets, or a UsageError saying how to get them."""
    import importlib.util

    missing = [name for name in ("torch", "trl", "transformers", "datasets") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"The training extras are not installed ({', '.join(missing)}): "
                         "pip install -r requirements-train.txt")


def default_output_dir(kind: str) -> Path:
    return Path("var") / "train" / f"{time.strftime('%Y%m%d-%H%M%S')}-{kind}"


def run_main(run, argv=None, *, parser: argparse.ArgumentParser) -> int:
    """Parse, run, and turn the mistakes a user can fix into one line on stderr (exit status 2)."""
    args = parser.parse_args(argv)
    try:
        run(args)
    except (UsageError, EHRGymError) as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return 2
    return 0


def quiet_libraries() -> None:
    """Keep the run's own table readable: no progress bars or advisory warnings from the libraries."""
    import warnings

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore", category=UserWarning, module="trl")
    warnings.filterwarnings("ignore", category=FutureWarning)
    from datasets.utils.logging import disable_progress_bar
    from transformers.utils import logging as hf_logging

    disable_progress_bar()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
