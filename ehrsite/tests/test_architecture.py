"""The apps import one another in one direction only (issue 18).

clinical is the chart; orders and notes are built on it; agentenv runs episodes over the
three; seeddata (FHIR import, the synthetic population, the golden database build) fills the
chart and its notes, and only harness uses it. harness (tasks, rubrics, evaluation) sits on top
and plugs its task library into agentenv (agentenv.task_source) instead of being imported by
it. fhirapi (the FHIR R4 API) is a protocol adapter over agentenv, below harness (whose MedAgentBench
interface uses it). The Python
client and the training code talk to the server over HTTP and import none of it. Tests may borrow
another app's fixtures, so only application code (not tests, not migrations) is checked.
"""

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {
    "clinical": set(),
    "orders": {"clinical"},
    "notes": {"clinical"},
    # The In Basket: notifications of the chart's results (it may read orders, which result them).
    "inbasket": {"clinical", "orders"},
    "seeddata": {"clinical", "notes"},
    "agentenv": {"clinical", "orders", "notes", "inbasket"},
    # harness's MedAgentBench interface speaks to episodes through the FHIR adapter.
    "harness": {"clinical", "orders", "notes", "inbasket", "seeddata", "agentenv", "fhirapi"},
    # The FHIR R4 adapter: reads the chart, writes through agentenv's actions and steps.
    "fhirapi": {"clinical", "orders", "notes", "agentenv"},
    "client": set(),
    "training": {"client"},
}
# The project package wires every app together (settings, URLs, ASGI); apps may use its environment helpers and
# its guard against NUL characters only.
SHARED = {"ehrsite.env", "ehrsite.nul_bytes"}


def application_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if not {"tests", "migrations"} & set(relative.parts):
            yield relative, ast.parse(path.read_text(), filename=str(relative))


def imported_modules(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def wrong_imports(app: str, path, tree: ast.Module) -> list[str]:
    wrong = []
    for module in imported_modules(tree):
        top = module.split(".")[0]
        if (top in ALLOWED and top != app and top not in ALLOWED[app]) or (top == "ehrsite" and module not in SHARED):
            wrong.append(f"{path} imports {module}")
    return wrong


def test_apps_import_only_the_apps_below_them():
    wrong = [line for app in ALLOWED for path, tree in application_modules(app)
             for line in wrong_imports(app, path, tree)]
    assert not wrong, "\n".join(wrong)


def test_the_client_imports_no_django():
    uses = [f"{path} imports {module}" for path, tree in application_modules("client")
            for module in imported_modules(tree) if module.split(".")[0] in {"django", "rest_framework"}]
    assert not uses, "\n".join(uses)


def test_the_check_catches_an_upward_import():
    tree = ast.parse("import os\nfrom agentenv.models import Episode\nfrom harness.scoring import instance_evaluate\n"
                     "from ehrsite.env import env_str\nfrom ehrsite.settings import DATA_DIR\n")
    assert wrong_imports("agentenv", "x.py", tree) == ["x.py imports harness.scoring", "x.py imports ehrsite.settings"]
    assert wrong_imports("harness", "x.py", tree) == ["x.py imports ehrsite.settings"]
    seeding = ast.parse("from notes.models import Note\nfrom agentenv.snapshots import GOLDEN\n")
    assert wrong_imports("seeddata", "x.py", seeding) == ["x.py imports agentenv.snapshots"]


# Small files: nothing written by hand is over 500 lines (issue 18). Migrations and data are not code one reads
# top to bottom; the client's actions.py is generated from the server's action schemas (its test regenerates it).
MAX_LINES = 500
SOURCE_SUFFIXES = {".py", ".js", ".html", ".css", ".sh"}
NOT_SOURCE_DIRS = {".git", ".venv", "var", "artifacts", "node_modules", "migrations", "__pycache__", ".pytest_cache"}
GENERATED = {Path("client/ehrgym_client/actions.py")}


def source_files():
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_SOURCE_DIRS]
        for name in files:
            relative = (Path(folder) / name).relative_to(ROOT)
            if relative.suffix in SOURCE_SUFFIXES and relative not in GENERATED:
                yield relative


def test_no_source_file_is_over_500_lines():
    lengths = {path: len((ROOT / path).read_text(errors="replace").splitlines()) for path in source_files()}
    assert len(lengths) > 300  # the walk found the tree
    too_long = [f"{path}: {lines} lines" for path, lines in sorted(lengths.items()) if lines > MAX_LINES]
    assert not too_long, "\n".join(too_long)


# The EHR apps own the queries of their models: harness reads the chart, orders and notes through their selectors.
EHR_APPS = ("clinical", "orders", "notes", "inbasket")


def ehr_model_queries(path, tree: ast.Module) -> list[str]:
    """`Model.objects` uses in a module, for the models (or `models` modules) it imports from the EHR apps."""
    models, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                if node.module in {f"{app}.models" for app in EHR_APPS}:
                    models.add(alias.asname or alias.name)
                elif node.module in EHR_APPS and alias.name == "models":
                    modules.add(alias.asname or alias.name)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            owner = node.value
            if (isinstance(owner, ast.Name) and owner.id in models) or (
                    isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name)
                    and owner.value.id in modules):
                found.append(f"{path}:{node.lineno} queries {ast.unparse(owner)}.objects")
    return found


def test_harness_reads_the_ehr_through_its_selectors():
    found = [line for path, tree in application_modules("harness") for line in ehr_model_queries(path, tree)]
    assert not found, "\n".join(found)


def test_the_check_catches_a_direct_ehr_query():
    tree = ast.parse("from clinical.models import Patient\nfrom orders import models as om\n"
                     "from harness.models import Task\n\ndef f():\n"
                     "    Patient.objects.get(mrn='1')\n    om.Order.objects.all()\n    Task.objects.all()\n")
    assert ehr_model_queries("x.py", tree) == ["x.py:6 queries Patient.objects", "x.py:7 queries om.Order.objects"]
