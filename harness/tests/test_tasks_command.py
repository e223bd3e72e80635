"""`manage.py tasks`: sync the library idempotently, list, count instances (JSON last line), validate."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from harness.cohorts import cohort
from harness.instances import variant_selector
from harness.library import library_load
from harness.models import Task
from harness.tests.conftest import ENV_DBS

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]


def run(*args) -> str:
    out = StringIO()
    call_command("tasks", *args, stdout=out)
    return out.getvalue()


def test_it_syncs_the_library_idempotently_and_restores_edited_library_tasks():
    assert run("sync").endswith(f"0 created, 0 updated, {len(library_load())} unchanged\n")  # loaded by the fixture

    Task.objects.filter(task_id="ehr/emergency-care.triage-intake-v1").update(step_limit=3)
    Task.objects.create(task_id="ehr/documentation.admin-only-v1", title="Authored in admin", tier="skill",
                        domain="documentation", instruction="Answer.", oracle="laboratory-medicine.latest-result",
                        rubric=[{"kind": "answer_matches", "expected": "x"}])

    assert "updated  ehr/emergency-care.triage-intake-v1" in run("sync")
    assert Task.objects.get(task_id="ehr/emergency-care.triage-intake-v1").step_limit == 25
    assert Task.objects.filter(task_id="ehr/documentation.admin-only-v1").exists()


def test_it_counts_templates_and_distinct_instances_with_json_last():
    lines = run("stats").strip().splitlines()
    summary = json.loads(lines[-1])

    tasks = list(Task.objects.filter(status=Task.Status.PUBLISHED))
    expected = sum(
        cohort(variant_selector(task, variant), using="golden").count()
        for task in tasks for variant in task.variant_list
    )
    assert set(summary) == {"templates", "instances", "heldout", "tiers", "domains", "answer_classes",
                            "best_constant_share"}
    assert 0 < summary["heldout"] < summary["instances"]
    assert all(share <= 0.25 for share in summary["best_constant_share"].values())
    assert "ehr/laboratory-medicine.latest-result-v1" in summary["answer_classes"]
    assert (summary["templates"], summary["instances"]) == (len(tasks), expected)
    assert set(summary["tiers"]) == {"skill", "objective", "workflow"}
    assert sum(tier["instances"] for tier in summary["tiers"].values()) == expected
    assert sum(domain["templates"] for domain in summary["domains"].values()) == len(tasks)
    assert any(line.startswith("ehr/laboratory-medicine.latest-result-v1") for line in lines)


def test_it_lists_tasks_and_validates_them_with_their_oracles():
    Task.objects.filter(task_id="ehr/pulmonology.acute-bronchitis-visit-v1").update(status=Task.Status.DRAFT)

    listed = run("list", "--published")
    validated = run("validate", "ehr/pulmonology.acute-bronchitis-visit-v1", "--instances", "2")

    assert "ehr/pulmonology.acute-bronchitis-visit-v1" not in listed and "ehr/emergency-care.triage-intake-v1" in listed
    assert validated.strip() == "ehr/pulmonology.acute-bronchitis-visit-v1".ljust(60) + " solved 2/2 mean score 1.00"
    with pytest.raises(CommandError, match="No such task: ehr/nothing.here-v1"):
        run("validate", "ehr/nothing.here-v1")
