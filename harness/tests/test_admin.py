"""Authoring in admin: a rubric editor that names each bad field, a preview, oracle validation, publishing."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from harness.library import library_load
from harness.models import Task
from harness.tests.conftest import ENV_DBS

pytestmark = [ENV_DBS, pytest.mark.usefixtures("chart")]

LATEST = "ehr/laboratory-medicine.latest-result-v1"


@pytest.fixture
def author(client):
    """A task author: staff with every permission, signed in to admin."""
    user = get_user_model().objects.create_superuser(username="dana", password="secret-pass-123")
    client.force_login(user)
    return client


def form_data(**changes) -> dict:
    template = library_load()[LATEST].task_fields()
    data = {**template, "task_id": "ehr/laboratory-medicine.latest-result-v2", "status": "draft", "source": "admin"}
    data.update(changes)
    return {key: json.dumps(value) if isinstance(value, list | dict) else value for key, value in data.items()}


def test_it_names_each_bad_field_of_each_criterion(author):
    rubric = [{"kind": "order_placed", "code": "308192", "dosee": 500}, {"kind": "answer_matches", "expected": 1,
                                                                          "unit": 5}]

    response = author.post(reverse("admin:harness_task_add"), form_data(rubric=rubric))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["rubric"]
    assert errors == ["criterion 1 (order_placed): unknown field 'dosee'",
                      "criterion 2 (answer_matches): field 'unit': Input should be a valid string"]
    assert not Task.objects.filter(task_id="ehr/laboratory-medicine.latest-result-v2").exists()


def test_it_saves_a_valid_task_as_a_draft_and_refuses_to_publish_it_unvalidated(author):
    saved = author.post(reverse("admin:harness_task_add"), form_data())
    assert saved.status_code == 302
    task = Task.objects.get(task_id="ehr/laboratory-medicine.latest-result-v2")
    assert task.status == Task.Status.DRAFT and task.source == Task.Source.ADMIN

    published = author.post(reverse("admin:harness_task_change", args=[task.pk]), form_data(status="published"))
    assert published.status_code == 200
    assert "run the action" in published.context["adminform"].form.errors["status"][0]


def test_it_previews_the_instruction_for_a_sampled_patient(author):
    task = Task.objects.get(task_id=LATEST)

    page = author.get(reverse("admin:harness_task_change", args=[task.pk])).content.decode()

    assert "Preview (seed 0, from the golden database)" in page
    assert "Answer with the value and its unit." in page and "{analyte}" not in page.split("Preview")[1][:2000]
    assert "order_placed" in page and "latest_observation" in page  # the criterion and fact reference


def test_it_validates_with_the_oracle_and_then_publishes(author):
    author.post(reverse("admin:harness_task_add"), form_data())
    task = Task.objects.get(task_id="ehr/laboratory-medicine.latest-result-v2")
    changelist = reverse("admin:harness_task_changelist")

    skipped = author.post(changelist, {"action": "publish", "_selected_action": [task.pk]}, follow=True)
    assert "not published: ehr/laboratory-medicine.latest-result-v2" in skipped.content.decode()

    page = author.post(changelist, {"action": "validate_with_oracle", "_selected_action": [task.pk]})
    assert page.status_code == 200 and "solved 3/3" in page.content.decode()
    task.refresh_from_db()
    assert (task.validation["solved"], task.validation["instances"], task.validation["mean_score"]) == (3, 3, 1.0)
    assert [result["success"] for result in task.validation["results"]] == [True, True, True]

    author.post(changelist, {"action": "publish", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.is_published


def test_it_reports_an_oracle_that_fails_a_task(author):
    author.post(reverse("admin:harness_task_add"), form_data(oracle="endocrinology.glycemic-control-trend"))
    task = Task.objects.get(task_id="ehr/laboratory-medicine.latest-result-v2")

    page = author.post(reverse("admin:harness_task_changelist"),
                       {"action": "validate_with_oracle", "_selected_action": [task.pk]}).content.decode()

    task.refresh_from_db()
    assert task.validation["solved"] == 0 and "solved 0/3" in page
    errors = [error for result in task.validation["results"] for error in result["errors"]]
    assert errors and all(error.startswith("the policy failed after step ") for error in errors)
