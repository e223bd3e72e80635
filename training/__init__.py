"""Training on EHRGym with TRL: GRPO in live episodes, SFT on exported trajectories.

task_dataset    the task library as rows (prompt, task_id, seed, split), train and held-out by seed
episode_metrics per-episode and per-step statistics (the monologue signal among them)
report          report.json and a self-contained report.html of a training run
tiny_model      a tiny Qwen-style model and a locally trained tokenizer (tests, smoke run)
grpo, sft       the entry points: python -m training.grpo / python -m training.sft
smoke           `make train-smoke`: a server, SFT and GRPO end to end, a table and one JSON line

Only the client (ehrgym_client) is imported from EHRGym: training runs anywhere the server is reachable.
"""
