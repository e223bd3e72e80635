"""The order vocabulary (routes, frequencies, priorities) and the catalog loader.

The catalog itself is data: orders/catalog.json, one entry per orderable and one per
order set, each code with the source it was checked against. `catalog_load` upserts
it into a database; the data migration calls it with the historical models, and the
`orders_load_catalog` command with the current ones after the JSON changes.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_PATH = Path(__file__).resolve().parent / "catalog.json"

ROUTES = {
    "PO": "Oral",
    "IV": "Intravenous",
    "IM": "Intramuscular",
    "SC": "Subcutaneous",
    "SL": "Sublingual",
    "INH": "Inhalation",
    "TD": "Transdermal",
    "TOP": "Topical",
    "PR": "Rectal",
    "VAG": "Vaginal",
    "OPH": "Ophthalmic",
}


# What people and agents also type for a route: its name, or a common abbreviation.
ROUTE_ALIASES = {label.upper(): code for code, label in ROUTES.items()} | {
    "BY MOUTH": "PO",
    "ORAL": "PO",
    "SQ": "SC",
    "SUBQ": "SC",
    "SUBCUT": "SC",
    "NEB": "INH",
    "INHALED": "INH",
}


@dataclass(frozen=True)
class Frequency:
    code: str
    label: str
    # Administrations per day, for the daily-dose check; None when it cannot be counted
    # (a single dose, a continuous infusion whose dose is a rate).
    per_day: float | None


FREQUENCIES = {
    f.code: f
    for f in (
        Frequency("ONCE", "Once", None),
        Frequency("DAILY", "Daily", 1),
        Frequency("BID", "BID (twice daily)", 2),
        Frequency("TID", "TID (three times daily)", 3),
        Frequency("QID", "QID (four times daily)", 4),
        Frequency("Q1H", "Every 1 hour", 24),
        Frequency("Q2H", "Every 2 hours", 12),
        Frequency("Q4H", "Every 4 hours", 6),
        Frequency("Q6H", "Every 6 hours", 4),
        Frequency("Q8H", "Every 8 hours", 3),
        Frequency("Q12H", "Every 12 hours", 2),
        Frequency("Q24H", "Every 24 hours", 1),
        Frequency("Q72H", "Every 72 hours", 1 / 3),
        Frequency("QHS", "Nightly at bedtime", 1),
        Frequency("AC", "Before meals (TID)", 3),
        Frequency("Q5MIN", "Every 5 minutes, up to 3 doses", None),
        Frequency("WEEKLY", "Weekly", 1 / 7),
        Frequency("CONTINUOUS", "Continuous infusion", None),
    )
}

FREQUENCY_ALIASES = {f.label.upper(): f.code for f in FREQUENCIES.values()} | {
    "QD": "DAILY",
    "ONCE DAILY": "DAILY",
    "TWICE DAILY": "BID",
    "NIGHTLY": "QHS",
    "AT BEDTIME": "QHS",
    "STAT": "ONCE",
    "NOW": "ONCE",
}

# Orders other than medications may repeat too (a lab every 2 hours), but most are once.
NON_MEDICATION_FREQUENCIES = ("ONCE", "Q1H", "Q2H", "Q4H", "Q6H", "Q8H", "Q12H", "DAILY", "CONTINUOUS")


def _search_text(entry: dict) -> str:
    words = [entry["name"], entry["code"], entry.get("ingredient", ""), entry.get("drug_class", "")]
    words += entry.get("synonyms", [])
    return " | ".join(word.lower() for word in words if word)


def _orderable_fields(entry: dict, field_names: set[str]) -> dict:
    """The model fields of one catalog entry; keys the model does not have go to attributes.

    The data migration runs with the historical model, which may have fewer fields than
    the JSON of a later version: those values are kept, not lost, in `attributes`.
    """
    values = {"order_type": entry["type"], "search_text": _search_text(entry), "attributes": {}}
    for name, value in entry.items():
        if name in ("key", "type"):
            continue
        if name in field_names and name != "attributes":
            values[name] = value
        else:
            values["attributes"].update(value if name == "attributes" else {name: value})
    return values


def catalog_entries(path: Path = CATALOG_PATH) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@cache
def order_type_of() -> dict[str, str]:
    """The order type of each catalog key and code, read from the catalog file (no database needed:
    rubrics are validated where no catalog table may exist)."""
    types = {}
    for entry in catalog_entries()["orderables"]:
        types[entry["key"]] = entry["type"]
        types.setdefault(entry["code"], entry["type"])
    return types


def catalog_load(*, orderable_model, order_set_model, order_set_item_model, using: str, path: Path = CATALOG_PATH):
    """Insert or update every orderable and order set of the catalog; returns (orderables, sets).

    Keyed by `key` / `slug`, so running it again changes nothing; an order set's items
    are replaced as a whole (they have no identity of their own).
    """
    data = catalog_entries(path)
    field_names = {field.name for field in orderable_model._meta.get_fields()}
    by_key = {}
    for entry in data["orderables"]:
        orderable, _ = orderable_model.objects.using(using).update_or_create(
            key=entry["key"], defaults=_orderable_fields(entry, field_names)
        )
        by_key[entry["key"]] = orderable
    for entry in data["order_sets"]:
        order_set, _ = order_set_model.objects.using(using).update_or_create(
            slug=entry["slug"], defaults={"name": entry["name"], "description": entry.get("description", "")}
        )
        order_set_item_model.objects.using(using).filter(order_set=order_set).delete()
        order_set_item_model.objects.using(using).bulk_create(
            order_set_item_model(
                order_set=order_set,
                orderable=by_key[item["orderable"]],
                position=position,
                defaults=item.get("defaults", {}),
            )
            for position, item in enumerate(entry["items"])
        )
    return len(data["orderables"]), len(data["order_sets"])
