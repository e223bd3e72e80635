"""With TRL itself: the tool schemas it renders, the tiny model's chat template, the SFT export
read back and tokenized by SFTTrainer, and GRPO rollouts whose tool calls act in live episodes."""

import json

import pytest
from django.conf import settings as django_settings

from .conftest import LATEST_RESULT, require_training_extras

require_training_extras()

from datasets import load_dataset  # noqa: E402
from ehrgym_client import EHRGymClient  # noqa: E402
from ehrgym_client.tool_env import tool_methods, tool_schemas  # noqa: E402
from ehrgym_client.tool_schema import tool_schema  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from transformers.utils import get_json_schema  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402
from trl.chat_template_utils import add_response_schema, parse_response, supports_tool_calling  # noqa: E402

from agentenv.models import Episode  # noqa: E402
from harness.instances import Instance  # noqa: E402
from harness.oracles import oracle_get  # noqa: E402
from harness.runner import drive  # noqa: E402
from training import grpo  # noqa: E402
from training.tiny_model import build_tiny_model, tokenizer_corpus  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    texts = [f"Task: What is the most recent result for patient {n}? Answer with the value and its unit."
             for n in range(20)]
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", tokenizer_corpus(tools=tool_schemas(),
                                                                                         texts=texts))


def test_the_tool_schemas_are_what_transformers_makes_of_the_methods():
    assert [get_json_schema(method) for method in tool_methods()] == [tool_schema(m) for m in tool_methods()]


def test_the_tiny_models_template_renders_tools_and_trl_parses_its_tool_calls(tiny_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    assert supports_tool_calling(tokenizer)
    add_response_schema(tokenizer)  # what GRPOTrainer does: it knows this (Qwen3) template
    prefix = tokenizer.apply_chat_template([{"role": "user", "content": "Task: x"}], tools=tool_methods(),
                                           add_generation_prompt=True, tokenize=True, return_dict=False)
    assert '"name": "get_observations"' in tokenizer.decode(prefix)
    said = ('<tool_call>\n{"name": "read_chart_section", "arguments": {"section": "results", "limit": "5"}}'
            '\n</tool_call>')
    parsed = parse_response(tokenizer, tokenizer(said + "<|im_end|>")["input_ids"], prefix=prefix, tools=tool_methods())
    assert parsed["tool_calls"] == [{"type": "function", "function": {
        "name": "read_chart_section", "arguments": {"section": "results", "limit": 5}}}]  # typed by the schema


@pytest.mark.django_db
def test_sft_trainer_reads_and_tokenizes_the_sft_export(chart, tiny_model, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from harness import evaluation as evaluations
    from harness.agents import agent_get

    run = evaluations.evaluation_create(agent="oracle", episodes=2, seed=3, task_id=LATEST_RESULT)
    evaluations.evaluation_run_threads(evaluation=run, agent=agent_get("oracle"), workers=1, on_result=lambda r: None)
    path = tmp_path / "sft.jsonl"
    call_command("export_trajectories", run=run.pk, output_format="sft", out=str(path), stdout=StringIO())

    dataset = load_dataset("json", data_files=str(path), split="train")
    assert len(dataset) == 2 and dataset[0]["messages"][2]["tool_calls"][0]["function"]["name"] == "get_observations"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    trainer = SFTTrainer(
        model=AutoModelForCausalLM.from_pretrained(tiny_model), processing_class=tokenizer, train_dataset=dataset,
        args=SFTConfig(output_dir=str(tmp_path / "out"), max_steps=1, per_device_train_batch_size=2,
                       assistant_only_loss=True, report_to="none", disable_tqdm=True, dataloader_pin_memory=False,
                       bf16=False, max_length=16384),
    )
    example = trainer.train_dataset[0]
    text = tokenizer.decode(example["input_ids"])
    assert '<tool_call>\n{"name": "get_observations", "arguments": {' in text and "<tool_response>" in text
    # The loss is on the model's turns only: its tool calls, not the tool results.
    trained = [tok for tok, label in zip(example["input_ids"], example["labels"], strict=True) if label != -100]
    assert '"name": "answer"' in tokenizer.decode(trained) and "<tool_response>" not in tokenizer.decode(trained)
    assert trainer.train().global_step == 1


def _oracle_calls(server, alice) -> tuple[dict, str, str]:
    """The oracle's look at the chart (its first action) and its right answer, on the instance the GRPO row (task,
    seed 0, train split) resets into; and the oracle's episode."""
    with EHRGymClient(server.url, server.token) as client:
        first = client.reset(task_id=LATEST_RESULT, seed=0, split="train")
        episode = Episode.objects.get(pk=first.episode_id)
        instance = Instance.from_json(episode.task_instance)
        driven = drive(episode, oracle_get(instance.oracle)(instance))
        assert driven.episode.success
    look = {key: value for key, value in driven.steps[0].action.items() if key != "type"}
    return look, driven.steps[-1].action["answer"], first.episode_id


def test_grpo_rollouts_call_the_tools_in_live_episodes(server, alice, tiny_model, tmp_path):
    if "postgresql" in django_settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("the training loop does not depend on the database engine: it runs on SQLite")
    look, answer, oracle_episode = _oracle_calls(server, alice)
    # Steer the tiny model's decoding (transformers' sequence_bias) to two tool calls: a look at the patient's
    # results (an answer given without looking at the chart is not a success) and the right answer. Each token
    # is pushed up after the ones before it, the longer match the harder.
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    call = ('<tool_call>\n{"name": "get_observations", "arguments": ' + json.dumps(look) + '}\n</tool_call>\n'
            '<tool_call>\n{"name": "answer", "arguments": {"answer": ' + json.dumps(answer) +
            '}}\n</tool_call><|im_end|>')
    ids = tokenizer(call, add_special_tokens=False)["input_ids"]
    bias = {tuple(ids[: k + 1]): 50.0 * (k + 1) for k in range(len(ids))}
    args = grpo.parser().parse_args([
        "--model", str(tiny_model), "--base-url", server.url, "--token", server.token, "--task", LATEST_RESULT,
        "--train-seeds", "1", "--max-steps", "1", "--num-generations", "2", "--per-device-train-batch-size", "2",
        "--max-completion-length", "512", "--max-tool-calling-iterations", "1", "--output-dir", str(tmp_path)])

    result = grpo.run(args, config_overrides={"generation_kwargs": {"sequence_bias": bias}})

    # Each rollout looked and answered right, then, the episode over, tried both calls once more (left unanswered
    # at the tool-call budget: invalid).
    assert (result["episodes"], result["success_rate"]) == (2, 1.0)
    assert (result["tool_calls_per_episode"], result["monologue_share"], result["invalid_action_rate"]) == (4, 0, 0.5)
    rollouts = list(Episode.objects.filter(owner=alice, task_id=LATEST_RESULT, seed=0).exclude(pk=oracle_episode))
    assert len(rollouts) == 2 and all(e.answer == answer and e.success and e.released_at for e in rollouts)
    # GRPO's reward is the episode's return, as the server summed it.
    assert result["reward_mean"] == pytest.approx(rollouts[0].cumulative_reward) and result["reward_mean"] > 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert [row["step"] for row in report["steps"]] == [1] and len(report["episodes"]) == 2
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
