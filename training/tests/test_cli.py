"""The entry points tell a user's mistake in one line (exit status 2), never with a traceback."""

import pytest

from training import grpo, sft

from .conftest import LATEST_RESULT


def one_line_error(capsys, main, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


def test_a_missing_model_directory_is_one_line(capsys, tmp_path):
    said = one_line_error(capsys, grpo.main, ["--model", str(tmp_path / "nope"), "--token", "t"])
    assert said == f"python -m training.grpo: No model directory at {tmp_path / 'nope'}."


def test_a_hub_id_offline_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    said = one_line_error(capsys, sft.main, ["--model", "Qwen/Qwen3-0.6B", "--data", "x.jsonl"])
    assert "HF_HUB_OFFLINE=1 forbids downloading it from the Hub" in said


def test_no_server_is_one_line(capsys, tmp_path):
    said = one_line_error(capsys, grpo.main, ["--model", str(tmp_path), "--base-url", "http://127.0.0.1:9",
                                              "--token", "t"])
    assert said.startswith("python -m training.grpo: EHRGym at http://127.0.0.1:9: Cannot reach EHRGym")


def test_no_token_is_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("EHRGYM_TOKEN", raising=False)
    said = one_line_error(capsys, grpo.main, ["--model", str(tmp_path), "--token", ""])
    assert "No API token: pass --token or set EHRGYM_TOKEN" in said


def test_missing_sft_data_is_one_line(capsys, tmp_path):
    said = one_line_error(capsys, sft.main, ["--model", str(tmp_path), "--data", str(tmp_path / "none.jsonl")])
    assert f"No SFT data at {tmp_path / 'none.jsonl'}" in said


@pytest.mark.parametrize("argv, message", [
    (["--task", "ehr/no-such.task-v1"], "Not a published task with semantic actions"),
    (["--domain", "oncology-nowhere"], 'domain: "oncology-nowhere" is not a valid choice.'),  # the server's 400
])
def test_a_task_filter_that_matches_nothing_is_one_line(capsys, tmp_path, server, argv, message):
    said = one_line_error(capsys, grpo.main, ["--model", str(tmp_path), "--base-url", server.url,
                                              "--token", server.token, *argv])
    assert message in said


def test_a_wrong_token_is_one_line(capsys, tmp_path, server):
    said = one_line_error(capsys, grpo.main, ["--model", str(tmp_path), "--base-url", server.url, "--token", "bad",
                                              "--task", LATEST_RESULT])
    assert said.endswith("Invalid token.")
