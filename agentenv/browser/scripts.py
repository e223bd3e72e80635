"""The JavaScript run in episode pages (kept in .js files beside this module)."""

from pathlib import Path

_HERE = Path(__file__).resolve().parent

AXTREE_JS = (_HERE / "axtree.js").read_text()
MARKS_JS = (_HERE / "marks.js").read_text()
UNMARK_JS = "document.querySelectorAll('[data-ehrgym-overlay]').forEach((el) => el.remove());"
AXTREE_OPTIONS = {"maxName": 100, "maxLines": 4000}
