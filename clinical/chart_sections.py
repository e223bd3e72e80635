"""The chart's sections, one per activity tab: each app registers its own from its AppConfig.ready(), and
the tab bar, the read_chart_section action and the section_visited criterion all read this one registry."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ChartSection:
    name: str  # as read_chart_section and the section_visited criterion name it
    label: str  # the tab's text
    url_name: str  # the section's page, reversed with the patient's MRN
    order: int  # the tab's place in the tab bar, left to right


_SECTIONS: dict[str, ChartSection] = {}


def chart_section_register(*, name: str, label: str, url_name: str, order: int) -> ChartSection:
    section = ChartSection(name=name, label=label, url_name=url_name, order=order)
    registered = _SECTIONS.setdefault(name, section)
    # ready() may run more than once; only a different section under the same name is a mistake.
    if registered != section:
        raise ImproperlyConfigured(f"Chart section {name!r} is already registered as {registered}.")
    return section


def chart_sections() -> list[ChartSection]:
    """Every section, in tab order."""
    return sorted(_SECTIONS.values(), key=lambda section: section.order)


def chart_section(name: str) -> ChartSection:
    try:
        return _SECTIONS[name]
    except KeyError:
        known = ", ".join(section.name for section in chart_sections())
        raise LookupError(f"No chart section named {name!r}; the chart has {known}.") from None


def chart_sections_require(names: Iterable[str], *, user: str) -> None:
    """Fail at startup when `user` offers sections no app registered.

    Action and criterion schemas list their sections statically: they are built on import, which
    (admin autodiscovery) comes before the apps are ready and have registered theirs."""
    missing = [name for name in names if name not in _SECTIONS]
    if missing:
        raise ImproperlyConfigured(f"{user} offers chart sections no app registered: {', '.join(missing)}.")
