"""Reads for Results Review (panels of flowsheets) and Questionnaires.

Results Review groups laboratory results by panel (clinical.result_panels); each panel is a flowsheet with
its analytes as rows and the times they were drawn as columns, newest first, a page of columns at a time.
Questionnaire answers and screening scores, which Synthea files as laboratory results, are read apart.
Each read is one query whatever the size of the chart.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connections
from django.db.models import Q, QuerySet

from clinical.models import Observation, Patient
from clinical.result_panels import (
    PANELS,
    QUESTIONNAIRE_CATEGORIES,
    QUESTIONNAIRE_LOINCS,
    SCORE_UNITS,
    Panel,
    analyte_name,
    analyte_rank,
    panel_of,
    specimen_of,
)

FLOWSHEET_PAGE_COLUMNS = 8
_QUESTIONNAIRE = (
    Q(category__in=QUESTIONNAIRE_CATEGORIES) | Q(loinc__in=QUESTIONNAIRE_LOINCS) | Q(unit__in=SCORE_UNITS)
)


def lab_results(patient: Patient) -> QuerySet[Observation]:
    """The patient's laboratory results, questionnaire answers filed as laboratory results left out."""
    return patient.observations.filter(category=Observation.Category.LABORATORY).exclude(_QUESTIONNAIRE)


@dataclass
class AnalyteRow:
    """One line of Results Review: an analyte's latest and previous result."""

    loinc: str
    display: str
    latest: Observation
    previous: Observation | None
    count: int


def lab_analytes(patient: Patient, *, text: str = "") -> list[AnalyteRow]:
    """Latest and previous result of every lab analyte, alphabetically (questionnaires are read apart).

    One query, written out: the ORM builds a filter on a window function as a wrapping subquery, and building
    that one (with the questionnaire codes' IN list) took about 2 ms of Python per call, more than the database
    spent answering it. Reading the results is the step agents take most (read_chart_section "results"), where
    that was about a sixth of the step's CPU."""
    params: list = [patient.pk, Observation.Category.LABORATORY, *QUESTIONNAIRE_CATEGORIES, *QUESTIONNAIRE_LOINCS,
                    *SCORE_UNITS]
    search = ""
    if text:
        pattern = f"%{connections[patient._state.db or 'default'].ops.prep_for_like_query(text)}%"
        search = (" AND (UPPER(o.display) LIKE UPPER(%s) ESCAPE '\\'"
                  " OR UPPER(o.loinc) LIKE UPPER(%s) ESCAPE '\\')")
        params += [pattern, pattern]
    rows: dict[str, AnalyteRow] = {}
    ranked = Observation.objects.db_manager(patient._state.db).raw(_LAB_ANALYTES_SQL.format(search=search), params)
    for obs in ranked:
        if obs.row_rank == 1:
            rows[obs.loinc] = AnalyteRow(obs.loinc, obs.display, obs, None, obs.row_total)
        else:
            rows[obs.loinc].previous = obs
    return sorted(rows.values(), key=lambda row: row.display.lower())


def _in_list(values) -> str:
    return ", ".join(["%s"] * len(values))


# Laboratory results without questionnaire answers (lab_results, _QUESTIONNAIRE above), ranked newest first
# per LOINC code; the two newest of each code, and how many it has.
_LAB_ANALYTES_SQL = f"""
SELECT * FROM (
    SELECT o.*,
           ROW_NUMBER() OVER (PARTITION BY o.loinc ORDER BY o.effective_at DESC, o.id DESC) AS row_rank,
           COUNT(*) OVER (PARTITION BY o.loinc) AS row_total
    FROM {Observation._meta.db_table} o
    WHERE o.patient_id = %s AND o.category = %s
      AND o.category NOT IN ({_in_list(QUESTIONNAIRE_CATEGORIES)})
      AND o.loinc NOT IN ({_in_list(QUESTIONNAIRE_LOINCS)})
      AND o.unit NOT IN ({_in_list(SCORE_UNITS)}){{search}}
) ranked
WHERE row_rank <= 2
ORDER BY loinc, row_rank
"""


def questionnaire_results(patient: Patient) -> QuerySet[Observation]:
    """Questionnaire answers, screening scores and social history, whatever category Synthea gave them."""
    return patient.observations.filter(_QUESTIONNAIRE).exclude(category=Observation.Category.VITAL_SIGNS)


@dataclass
class FlowsheetRow:
    loinc: str
    label: str  # the analyte, with its specimen where another code of the panel names the same analyte
    cells: list[Observation | None]  # one per column of the page
    latest: Observation
    count: int


@dataclass
class ResultPanel:
    panel: Panel
    times: list[datetime]  # this page's columns, newest first
    rows: list[FlowsheetRow]
    page: int
    pages: int

    @property
    def has_newer(self) -> bool:
        return self.page > 1

    @property
    def has_older(self) -> bool:
        return self.page < self.pages


def _matches(obs: Observation, text: str) -> bool:
    text = text.lower()
    return text in obs.display.lower() or text in obs.loinc.lower() or text in analyte_name(obs.loinc, "").lower()


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _labels(loincs: list[str], displays: dict[str, str]) -> dict[str, str]:
    names = {loinc: analyte_name(loinc, displays[loinc]) for loinc in loincs}
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    labels = {}
    for loinc, name in names.items():
        specimen = specimen_of(loinc) if name in shared else ""
        labels[loinc] = f"{name} ({specimen or 'LOINC ' + loinc})" if name in shared else name
    return labels


def _panel(panel: Panel, results: list[Observation], *, page: int, columns: int) -> ResultPanel:
    """One panel's flowsheet; `results` are newest first."""
    # A column is a collection time as the chart prints it (to the minute): a panel's analytes drawn together
    # share it even when their timestamps differ by seconds.
    times = sorted({_minute(obs.effective_at) for obs in results}, reverse=True)
    pages = max(1, -(-len(times) // columns))
    page = min(max(page, 1), pages)
    shown = times[(page - 1) * columns: page * columns]
    column = {at: i for i, at in enumerate(shown)}
    by_code: dict[str, list[Observation]] = {}
    for obs in results:
        by_code.setdefault(obs.loinc, []).append(obs)
    labels = _labels(list(by_code), {loinc: rows[0].display for loinc, rows in by_code.items()})
    rows = []
    for loinc, observations in by_code.items():
        cells: list[Observation | None] = [None] * len(shown)
        for obs in observations:
            i = column.get(_minute(obs.effective_at))
            if i is not None and cells[i] is None:
                cells[i] = obs
        rows.append(FlowsheetRow(loinc, labels[loinc], cells, observations[0], len(observations)))
    rows.sort(key=lambda row: (analyte_rank(row.loinc), row.label.lower()))
    return ResultPanel(panel, shown, rows, page, pages)


def results_review(patient: Patient, *, text: str = "", page: int = 1,
                   columns: int = FLOWSHEET_PAGE_COLUMNS) -> list[ResultPanel]:
    """The panels that have results (filtered by test name or LOINC), each a page of its flowsheet."""
    results = lab_results(patient).order_by("-effective_at", "-pk")
    grouped: dict[str, list[Observation]] = {}
    for obs in results:
        if not text or _matches(obs, text):
            grouped.setdefault(panel_of(obs.loinc).key, []).append(obs)
    return [_panel(panel, grouped[panel.key], page=page, columns=columns) for panel in PANELS if panel.key in grouped]


@dataclass
class QuestionnaireRow:
    loinc: str
    display: str
    latest: Observation
    previous: Observation | None
    count: int


def questionnaires(patient: Patient) -> list[QuestionnaireRow]:
    """The latest and previous answer to each question or score, scores first, then alphabetically."""
    rows: dict[str, QuestionnaireRow] = {}
    for obs in questionnaire_results(patient).order_by("-effective_at", "-pk"):
        row = rows.get(obs.loinc)
        if row is None:
            rows[obs.loinc] = QuestionnaireRow(obs.loinc, obs.display, obs, None, 1)
        else:
            row.previous = row.previous or obs
            row.count += 1
    return sorted(rows.values(), key=lambda row: (row.latest.value_num is None, row.display.lower()))
