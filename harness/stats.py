"""How many distinct instances the tasks have (templates × eligible patients × variants), how many are
held out for evaluation, and how well one constant answer does on each question (harness.sampling)."""

from collections import defaultdict

from harness import sampling
from harness.cohorts import cohort
from harness.instances import GOLDEN, variant_selector
from harness.models import Task


def task_instance_count(task: Task, *, using: str = GOLDEN) -> dict:
    """Eligible patients of each variant in the golden database, and their sum (the distinct instances)."""
    per_variant = [cohort(variant_selector(task, variant), using=using).count() for variant in task.variant_list]
    patients = set()
    for variant in task.variant_list:
        patients.update(cohort(variant_selector(task, variant), using=using).values_list("mrn", flat=True))
    try:
        entries = sampling.entries(task, using=using)
    except sampling.NoInstance:  # admitted patients, none whose chart supports the task: nothing to sample
        entries = []
    constant = sampling.constant_answer_share(entries)
    return {"task_id": task.task_id, "tier": task.tier, "domain": task.domain, "variants": len(per_variant),
            "patients": len(patients), "instances": sum(per_variant),
            "heldout": len(sampling.in_split(task.task_id, entries, "heldout")),
            "answer_classes": constant["answer_classes"], "best_constant_share": constant["best_constant_share"],
            "best_constant": constant["best_constant"], "largest_classes": constant["class_sizes"]}


def library_stats(tasks, *, using: str = GOLDEN) -> dict:
    rows = [task_instance_count(task, using=using) for task in tasks]
    tiers: dict[str, dict] = defaultdict(lambda: {"templates": 0, "instances": 0})
    domains: dict[str, dict] = defaultdict(lambda: {"templates": 0, "instances": 0})
    for row in rows:
        for bucket in (tiers[row["tier"]], domains[row["domain"]]):
            bucket["templates"] += 1
            bucket["instances"] += row["instances"]
    return {
        "templates": len(rows),
        "instances": sum(row["instances"] for row in rows),
        "heldout": sum(row["heldout"] for row in rows),
        "tiers": {tier: tiers[tier] for tier in Task.Tier.values if tier in tiers},
        "domains": dict(sorted(domains.items())),
        "tasks": rows,
    }
