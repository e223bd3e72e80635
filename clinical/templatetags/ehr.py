"""Template helpers for the clinician UI: abnormal flags, units, sortable headers."""

from django import template

from clinical.charts import display_unit

register = template.Library()

FLAG_CLASSES = {
    "H": "flag-high",
    "HH": "flag-high flag-critical",
    "L": "flag-low",
    "LL": "flag-low flag-critical",
    "A": "flag-abnormal",
}
FLAG_WORDS = {"H": "High", "HH": "Critically high", "L": "Low", "LL": "Critically low", "A": "Abnormal"}


@register.filter
def flag_class(flag: str) -> str:
    return FLAG_CLASSES.get(flag or "", "")


@register.filter
def flag_word(flag: str) -> str:
    return FLAG_WORDS.get(flag or "", "")


@register.filter
def unit(code: str) -> str:
    return display_unit(code)


@register.filter
def number(value: float | None) -> str:
    """A measured number without a trailing .0 (7.0 → 7, 7.25 → 7.25)."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:.0f}"
    return text or "0"


@register.inclusion_tag("clinical/_sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str):
    """A column header that sorts the list by `key`, toggling direction when active."""
    active = context["sort"] == key
    descending = context["descending"]
    next_sort = f"-{key}" if active and not descending else key
    aria = ("descending" if descending else "ascending") if active else ""
    return {"request": context["request"], "key": key, "label": label, "next_sort": next_sort, "aria_sort": aria}
