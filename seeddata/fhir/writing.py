"""Writing rows in bulk, as upserts keyed by fhir_id, so that importing twice changes nothing."""

from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache

from django.db import models
from fhirclient.models.fhirabstractresource import FHIRAbstractResource

from seeddata.fhir.registry import FhirImportError, ImportContext, Skip

# What a builder raises when an element has a shape it cannot read. fhirclient parses real-world bundles
# leniently (seeddata.fhir.importer._parse), so an element may be an object where R4 has a list, or a
# number where it has text: that resource is skipped with the reason, the rest of the bundle imported.
MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError)

Builder = Callable[[FHIRAbstractResource, ImportContext], models.Model | list[models.Model]]


@cache
def _char_limits(model: type[models.Model]) -> tuple[tuple[str, int], ...]:
    fields = model._meta.concrete_fields
    return tuple((f.attname, f.max_length) for f in fields if isinstance(f, models.CharField) and f.max_length)


def _fit(model: type[models.Model], rows: list[models.Model], shortened: Counter | None) -> None:
    # PostgreSQL rejects over-long values where SQLite stores them: cut them to the column, and count it
    # (the import's summary says which columns), so nothing is shortened unseen.
    limits = _char_limits(model)
    for row in rows:
        for attname, limit in limits:
            value = getattr(row, attname)
            if value and len(value) > limit:
                setattr(row, attname, value[:limit])
                if shortened is not None:
                    shortened[f"{model.__name__}.{attname}"] += 1


def upsert(
    model: type[models.Model], rows: Iterable[models.Model], *, using: str, keep: tuple[str, ...] = (),
    shortened: Counter | None = None,
) -> dict[str, int]:
    """Insert, or update by fhir_id, every row; return fhir_id -> primary key.

    Fields in `keep` are written on insert only: they hold what people set in the EHR
    (a clinician's login, a code status) and a re-import must not undo it.
    """
    unique = list({row.fhir_id: row for row in rows}.values())
    if not unique:
        return {}
    _fit(model, unique, shortened)
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
        except FhirImportError:
            raise  # the whole bundle is refused (a ValueError too, so it must pass before MALFORMED)
        except MALFORMED as error:
            ctx.result.add_skipped(resource.resource_type, f"an element of a shape R4 does not allow ({error})")
            continue
        rows.extend(built if isinstance(built, list) else [built])
        ctx.result.add_imported(resource.resource_type)
    pks = upsert(model, rows, using=ctx.using, keep=keep, shortened=ctx.result.shortened)
    ctx.resolver.remember(model, pks)
    return pks
