"""What an import did: per resource type, how many were imported and why others were skipped."""

from collections import Counter
from dataclasses import dataclass, field

IMPORTED = "imported"
SKIPPED = "skipped: "


@dataclass(frozen=True)
class ImportFailure:
    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass
class ImportCounts:
    """counts[resource type] is e.g. {"imported": 12} or {"skipped: billing, not part of the chart": 414}."""

    counts: dict[str, Counter] = field(default_factory=dict)
    # Resources fhirclient rejected in strict mode and that were read leniently instead.
    lenient: Counter = field(default_factory=Counter)
    # Values longer than their column, cut to fit: {"Patient.family_name": 1}.
    shortened: Counter = field(default_factory=Counter)
    errors: list[ImportFailure] = field(default_factory=list)
    elapsed: float = 0.0

    def add_imported(self, resource_type: str, n: int = 1) -> None:
        self.counts.setdefault(resource_type, Counter())[IMPORTED] += n

    def add_skipped(self, resource_type: str, reason: str, n: int = 1) -> None:
        self.counts.setdefault(resource_type, Counter())[SKIPPED + reason] += n

    def imported(self, resource_type: str | None = None) -> int:
        return sum(c[IMPORTED] for c in self._selected(resource_type))

    def skipped(self, resource_type: str | None = None) -> int:
        return sum(n for c in self._selected(resource_type) for key, n in c.items() if key != IMPORTED)

    def skip_reasons(self, resource_type: str) -> dict[str, int]:
        counts = self.counts.get(resource_type, Counter())
        return {key.removeprefix(SKIPPED): n for key, n in counts.items() if key.startswith(SKIPPED)}

    @property
    def resources(self) -> int:
        return self.imported() + self.skipped()

    @property
    def resources_per_s(self) -> float:
        return self.resources / self.elapsed if self.elapsed else 0.0

    def merge(self, other: "ImportCounts") -> None:
        for resource_type, counts in other.counts.items():
            self.counts.setdefault(resource_type, Counter()).update(counts)
        self.lenient.update(other.lenient)
        self.shortened.update(other.shortened)
        self.errors.extend(other.errors)

    def _selected(self, resource_type: str | None) -> list[Counter]:
        if resource_type is None:
            return list(self.counts.values())
        return [self.counts.get(resource_type, Counter())]

    def as_table(self) -> str:
        return render_table(self)


@dataclass
class ImportResult(ImportCounts):
    """One bundle, imported in one transaction."""

    source: str = ""
    patient_fhir_id: str = ""
    patient_pk: int | None = None
    mrn: str = ""


@dataclass
class ImportSummary(ImportCounts):
    """Many bundles; each is its own transaction, and a failed one is listed in `errors`."""

    results: list[ImportResult] = field(default_factory=list)

    @property
    def bundles(self) -> int:
        return len(self.results)

    @property
    def failed(self) -> int:
        return len(self.errors)

    def add(self, result: ImportResult) -> None:
        self.results.append(result)
        self.merge(result)

    def fail(self, source: str, message: str) -> None:
        self.errors.append(ImportFailure(source, message))

    def as_table(self) -> str:
        footer = (
            f"{self.bundles} bundle(s) imported, {self.failed} failed, {self.resources} resources"
            f" in {self.elapsed:.2f} s ({self.resources_per_s:.0f} resources/s)"
        )
        return f"{render_table(self)}\n{footer}"


def _rows(counts: ImportCounts) -> list[tuple[str, str, str, str]]:
    rows = []
    order = sorted(counts.counts, key=lambda t: (-counts.imported(t), t))
    for resource_type in order:
        reasons = counts.skip_reasons(resource_type) or {"": 0}
        imported = str(counts.imported(resource_type))
        for reason, n in sorted(reasons.items(), key=lambda item: -item[1]):
            rows.append((resource_type, imported, str(n), reason))
            resource_type, imported = "", ""
    return rows


def render_table(counts: ImportCounts) -> str:
    header = ("Resource type", "Imported", "Skipped", "Reason")
    total = ("Total", str(counts.imported()), str(counts.skipped()), "")
    rows = [header, *_rows(counts), total]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]

    def line(row: tuple[str, str, str, str]) -> str:
        name, imported, skipped, reason = row
        return f"{name:<{widths[0]}}  {imported:>{widths[1]}}  {skipped:>{widths[2]}}  {reason}".rstrip()

    rule = "-" * (sum(widths) + 4 + max(len(row[3]) for row in rows) + 2)
    lines = [line(header), rule, *map(line, rows[1:-1]), rule, line(total)]
    if counts.lenient:
        lenient = ", ".join(f"{t} {n}" for t, n in sorted(counts.lenient.items()))
        lines.append(f"Read leniently (not valid to fhirclient's strict R4 model): {lenient}")
    if counts.shortened:
        shortened = ", ".join(f"{column} {n}" for column, n in sorted(counts.shortened.items()))
        lines.append(f"Cut to the length of their column: {shortened}")
    return "\n".join(lines)
