"""`manage.py export_medagentbench`: MedAgentBench's task file for this population, readable by its harness."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from clinical.models import Patient
from harness.tests.conftest import ENV_DBS

pytestmark = ENV_DBS


def test_it_writes_every_category_in_medagentbenchs_task_format(chart, tmp_path):
    stdout = StringIO()
    call_command("export_medagentbench", out=str(tmp_path), per_category=2, seed=0, stdout=stdout)

    summary = json.loads(stdout.getvalue().strip().splitlines()[-1])
    tasks = json.loads((tmp_path / "test_data.json").read_text())
    assert summary["categories"] == 10 and summary["tasks"] == len(tasks) and summary["fhir_api_base"].endswith(
        "/fhir/r4/")
    assert {task["id"].split("_")[0] for task in tasks} == {f"task{n}" for n in range(1, 11)}
    for task in tasks:
        assert set(task) >= {"id", "instruction", "context", "sol", "eval_MRN"}
        assert Patient.objects.using("golden").filter(mrn=task["eval_MRN"]).exists()
        assert task["eval_MRN"] in task["instruction"] or task["id"].startswith("task1_")
    lookup = next(task for task in tasks if task["id"] == "task1_1")
    assert lookup["sol"] == [lookup["eval_MRN"]]  # category 1 asks for the MRN itself
    record = next(task for task in tasks if task["id"] == "task3_1")
    assert record["sol"] == []  # an action, no answer
    functions = json.loads((tmp_path / "funcs.json").read_text())
    names = [function["name"] for function in functions]
    assert "GET {api_base}Observation" in names and "POST {api_base}MedicationRequest" in names
    observation = next(function for function in functions if function["name"] == "GET {api_base}Observation")
    assert {"patient", "code", "date", "category", "_count"} <= set(observation["parameters"]["properties"])


def test_a_count_below_one_is_refused(chart, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="at least 1"):
        call_command("export_medagentbench", out=str(tmp_path), per_category=0, stdout=StringIO())
