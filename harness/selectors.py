"""Reads of tasks and evaluation runs (main database)."""

from django.db.models import QuerySet

from harness.models import Evaluation, EvaluationEpisode, Task


def tasks_published(*, tier: str = "", domain: str = "") -> QuerySet[Task]:
    tasks = Task.objects.filter(status=Task.Status.PUBLISHED)
    if tier:
        tasks = tasks.filter(tier=tier)
    if domain:
        tasks = tasks.filter(domain=domain)
    return tasks.order_by("task_id")


def task_list(*, published_only: bool = False, task_ids: list[str] | None = None) -> QuerySet[Task]:
    """Every task (only the published ones, only these ids, if asked), by id."""
    tasks = Task.objects.filter(status=Task.Status.PUBLISHED) if published_only else Task.objects.all()
    if task_ids:
        tasks = tasks.filter(task_id__in=task_ids)
    return tasks.order_by("task_id")


def task_get(*, task_id: str) -> Task:
    return Task.objects.get(task_id=task_id)


def task_find(*, task_id: str, published_only: bool = False) -> Task | None:
    """The task (if published, when asked), or None."""
    tasks = Task.objects.filter(status=Task.Status.PUBLISHED) if published_only else Task.objects.all()
    return tasks.filter(task_id=task_id).first()


def task_allowed_actions(*, task_id: str) -> str | None:
    """The task's action set (Task.ActionSet), or None for an unknown task."""
    return Task.objects.filter(task_id=task_id).values_list("allowed_actions", flat=True).first()


def task_tiers_and_domains() -> tuple[dict[str, str], dict[str, str]]:
    """Every task's tier and domain, by task id."""
    return dict(Task.objects.values_list("task_id", "tier")), dict(Task.objects.values_list("task_id", "domain"))


def evaluation_list(*, agent: str = "", status: str = "") -> QuerySet[Evaluation]:
    """The runs (newest first, the model's order), of one agent or status if given."""
    runs = Evaluation.objects.all()
    if agent:
        runs = runs.filter(agent=agent)
    if status:
        runs = runs.filter(status=status)
    return runs


def evaluation_get(*, evaluation_id: int) -> Evaluation:
    """The run with its owner (raises Evaluation.DoesNotExist)."""
    return Evaluation.objects.select_related("owner").get(pk=evaluation_id)


def evaluation_find(*, evaluation_id: int) -> Evaluation | None:
    return Evaluation.objects.filter(pk=evaluation_id).first()


def evaluation_episode_list(*, evaluation: Evaluation | None = None, agent: str = "", run: str = "",
                            task: str = "", tier: str = "", domain: str = "",
                            success: str = "") -> QuerySet[EvaluationEpisode]:
    """The episodes of one run in plan order, each with its episode, or of every run (newest run first), each
    with its run; only those matching the pages' filters (each as typed, "" for any)."""
    if evaluation is not None:
        results = evaluation.results.select_related("episode").order_by("index")
    else:
        results = EvaluationEpisode.objects.select_related("evaluation").order_by("-evaluation__started_at", "index")
    if agent:
        results = results.filter(evaluation__agent=agent)
    if run.isdigit():
        results = results.filter(evaluation_id=int(run))
    if task:
        results = results.filter(task_id__icontains=task)
    if tier:
        results = results.filter(tier=tier)
    if domain:
        results = results.filter(domain=domain)
    if success in ("yes", "no"):
        results = results.filter(success=success == "yes")
    return results


def evaluation_episode_find(*, evaluation: Evaluation, index: int) -> EvaluationEpisode | None:
    return EvaluationEpisode.objects.filter(evaluation=evaluation, index=index).first()


def evaluation_episode_get(*, evaluation: Evaluation, index: int) -> EvaluationEpisode:
    return EvaluationEpisode.objects.get(evaluation=evaluation, index=index)


def evaluation_episode_of(episode) -> EvaluationEpisode | None:
    """The evaluation record of an agentenv episode, with its run, or None (an episode run outside evaluations)."""
    return EvaluationEpisode.objects.select_related("evaluation").filter(episode=episode).first()
