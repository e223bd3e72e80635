"""Writing rows in bulk, as upserts keyed by fhir_id, so that importing twice changes nothing."""

from collections.abc import Callable, Iterable
from functools import cache

from django.db import models
from fhirclient.models.fhirabstractresource import FHIRAbstractResource

from seeddata.fhir.registry import ImportContext, Skip

Builder = Callable[[FHIRAbstractResource, ImportContext], models.Model | list[models.Model]]


@cache
def _char_limits(model: type[models.Model]) -> tuple[tuple[str, int], ...]:
    fields = model._meta.concrete_fields
    return tuple((f.attname, f.max_length) for f in fields if isinstance(f, models.CharField) and f.max_length)


def _fit(model: type[models.Model], rows: list[models.Model]) -> None:
    # PostgreSQL rejects over-long values where SQLite stores them: cut them to the column.
    limits = _char_limits(model)
    for row in rows:
        for attname, limit in limits:
            value = getattr(row, attname)
            if value and len(value) > limit:
                setattr(row, attname, value[:limit])


def upsert(
    model: type[models.Model], rows: Iterable[models.Model], *, using: str, keep: tuple[str, ...] = ()
) -> dict[str, int]:
    """Insert, or update by fhir_id, every row; return fhir_id -> primary key.

    Fields in `keep` are written on insert only: they hold what people set in the EHR
    (a clinician's login, a code status) and a re-import must not undo it.
    """
    unique = list({row.fhir_id: row for row in rows}.values())
    if not unique:
        return {}
    _fit(model, unique)
    update_fields = [
        f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in ("fhir_id", *keep)
    ]
    model.objects.using(using).bulk_create(
        unique, update_conflicts=True, unique_fields=["fhir_id"], update_fields=update_fields
    )
    return {row.fhir_id: row.pk for row in unique}


def import_rows(
    ctx: ImportContext,
    model: type[models.Model],
    resources: list[FHIRAbstractResource],
    build: Builder,
    *,
    keep: tuple[str, ...] = (),
) -> dict[str, int]:
    """Build a row (or rows) per resource, count what was skipped and why, and upsert the rest."""
    rows: list[models.Model] = []
    for resource in resources:
        try:
            built = build(resource, ctx)
        except Skip as skip:
            ctx.result.add_skipped(resource.resource_type, str(skip))
            continue
        rows.extend(built if isinstance(built, list) else [built])
        ctx.result.add_imported(resource.resource_type)
    pks = upsert(model, rows, using=ctx.using, keep=keep)
    ctx.resolver.remember(model, pks)
    return pks
