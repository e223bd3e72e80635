"""The harness's part of the REST API (/api/v1/): the task list an agent picks a task_id from."""

from django.urls import path

from harness.apis import TaskListApi

app_name = "harness_api"

urlpatterns = [
    path("tasks", TaskListApi.as_view(), name="task_list"),
]
