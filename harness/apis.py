"""REST API of the task registry: the published tasks an agent can reset with."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from harness import selectors
from harness.models import Task


class TaskListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        tier = serializers.ChoiceField(choices=Task.Tier.values, required=False)
        domain = serializers.ChoiceField(choices=Task.Domain.values, required=False)

    class OutputSerializer(serializers.ModelSerializer):
        class Meta:
            model = Task
            ref_name = "TaskSummary"
            fields = ["task_id", "title", "tier", "domain", "description", "step_limit", "allowed_actions"]

    @extend_schema(
        operation_id="task_list",
        summary="Published tasks: reset with {\"task_id\": ..., \"seed\": n}",
        parameters=[
            # Empty, like absent, means any (as an HTML form's "all" option sends it).
            OpenApiParameter("tier", str, enum=["", *Task.Tier.values], description="Only tasks of this tier."),
            OpenApiParameter("domain", str, enum=["", *Task.Domain.values],
                             description="Only tasks of this clinical domain."),
        ],
        responses={200: OutputSerializer(many=True)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tasks = selectors.tasks_published(**filters.validated_data)
        return Response(self.OutputSerializer(tasks, many=True).data)
