"""Celery tasks of the harness: one evaluation episode, by ids."""

from celery import shared_task
from django.conf import settings

from harness.agents import agent_get
from harness.evaluation import evaluation_episode_run
from harness.selectors import evaluation_get


@shared_task(name="harness.evaluation_episode", time_limit=settings.CELERY_TASK_TIME_LIMIT, ignore_result=True,
             acks_late=True)
def evaluation_episode(evaluation_id: int, index: int) -> None:
    """Run episode `index` of evaluation `evaluation_id`; a redelivered one finds its record and stops.

    acks_late: a worker killed mid-episode leaves the message to be run again elsewhere.
    """
    evaluation = evaluation_get(evaluation_id=evaluation_id)
    evaluation_episode_run(evaluation=evaluation, index=index, agent=agent_get(evaluation.agent))
