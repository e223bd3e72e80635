"""Reads: a resource by id, and searches answered as searchset Bundles with `total` and paging links."""

from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist
from fhirclient.models.bundle import Bundle

from fhirapi import search
from fhirapi.outcomes import bad_request, not_found
from fhirapi.resources import REGISTRY
from fhirapi.resources.base import ResourceType


def resource_type(name: str) -> ResourceType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise not_found(f"Unknown resource type {name!r}; this server has {', '.join(sorted(REGISTRY))} "
                        "(GET metadata lists what each supports).") from None


def resource_read(kind: ResourceType, ident: str) -> dict:
    try:
        row = kind.get(ident)
    except ObjectDoesNotExist:
        raise not_found(f"No {kind.name} with id {ident!r}.") from None
    if kind.page_prefetch:
        kind.page_prefetch([row])
    return kind.resource(row)


def _checked(kind: ResourceType, query: dict[str, list[str]]) -> None:
    for name in query:
        if ":" in name:
            raise bad_request(f"Search modifiers are not supported: {name!r}.")
        if name not in kind.parameters and name not in search.RESULT_PARAMETERS:
            known = ", ".join([*kind.parameters, *sorted(search.RESULT_PARAMETERS)])
            raise bad_request(f"Unknown search parameter {name!r} for {kind.name}; supported: {known}.")
    for value in query.get("_format", []):
        if value not in ("json", "application/json", "application/fhir+json"):
            raise bad_request(f"Only JSON is served; _format={value!r} is not supported.")


def _ordering(kind: ResourceType, values: list[str]) -> tuple[str, ...]:
    if not values:
        return kind.ordering
    wanted = values[-1]
    if kind.date_field is None or wanted.lstrip("-") != "date":
        supported = "date or -date" if kind.date_field else "nothing (the default order is fixed)"
        raise bad_request(f"_sort={wanted!r} is not supported for {kind.name}: sort by {supported}.")
    descending = "-" if wanted.startswith("-") else ""
    return f"{descending}{kind.date_field}", f"{descending}id"


def resource_search(kind: ResourceType, query: dict[str, list[str]], *, base_url: str) -> dict:
    """A searchset Bundle of one page of matches (`_count`, at most 5,000), with a `next` link to the rest."""
    _checked(kind, query)
    rows = kind.rows()
    for name, parameter in kind.parameters.items():
        if name in query:
            rows = search.apply(rows, parameter, query[name])
    count, offset = search.count(query.get("_count", [])), search.offset(query.get("_offset", []))
    ordering = _ordering(kind, query.get("_sort", []))
    total = rows.count()
    page = list(rows.order_by(*ordering)[offset:offset + count]) if count else []
    if kind.page_prefetch and page:
        kind.page_prefetch(page)
    bundle = Bundle({"resourceType": "Bundle", "type": "searchset", "total": total,
                     "link": _links(kind, query, base_url, offset=offset, count=count, total=total)}).as_json()
    if page:
        bundle["entry"] = [
            {"fullUrl": f"{base_url}{kind.name}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}
            for resource in (kind.resource(row) for row in page)
        ]
    return bundle


def _links(kind: ResourceType, query: dict[str, list[str]], base_url: str, *, offset: int, count: int,
           total: int) -> list[dict]:
    def url(at: int) -> str:
        pairs = [(name, value) for name, values in query.items() if name != "_offset" for value in values]
        if "_count" not in query:
            pairs.append(("_count", str(count)))
        return f"{base_url}{kind.name}?{urlencode([*pairs, ('_offset', str(at))])}"

    links = [{"relation": "self", "url": url(offset)}]
    if count and offset + count < total:
        links.append({"relation": "next", "url": url(offset + count)})
    if count and offset > 0:
        links.append({"relation": "previous", "url": url(max(offset - count, 0))})
    return links
