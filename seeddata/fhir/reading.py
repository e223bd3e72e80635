"""Reading bundles from files: .json (one Bundle), .ndjson (one Bundle per line), either gzipped."""

import gzip
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from seeddata.fhir.registry import FhirImportError

SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz")


@dataclass(frozen=True)
class RawBundle:
    source: str  # the file, and for ndjson the line: "bundles.ndjson.gz:17"
    text: str
    one_per_line: bool


def is_bundle_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES)


def expand(path: Path) -> list[Path]:
    """The bundle files a path names: itself, or a folder's bundle files, sorted."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if is_bundle_file(p))
        if not files:
            raise FhirImportError(f"no {', '.join(SUFFIXES)} files in this folder")
        return files
    if not path.exists():
        raise FhirImportError("no such file or folder")
    if not path.name.endswith(SUFFIXES):
        raise FhirImportError(f"not a bundle file (expected {', '.join(SUFFIXES)})")
    return [path]


def _is_ndjson(path: Path) -> bool:
    return path.name.endswith((".ndjson", ".ndjson.gz"))


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as stream:
            yield from stream
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise FhirImportError(f"not a valid gzip file ({error})") from None
    except UnicodeDecodeError:
        raise FhirImportError("not UTF-8 text") from None
    except OSError as error:
        raise FhirImportError(f"cannot be read ({error.strerror or error})") from None


def read_bundles(path: Path) -> Iterator[RawBundle]:
    """The bundles in one file, unparsed; a file that cannot be read raises FhirImportError."""
    if not _is_ndjson(path):
        yield RawBundle(str(path), "".join(_lines(path)), one_per_line=False)
        return
    for number, line in enumerate(_lines(path), start=1):
        if line.strip():
            yield RawBundle(f"{path}:{number}", line, one_per_line=True)


def count_bundles(path: Path) -> int:
    return sum(1 for line in _lines(path) if line.strip()) if _is_ndjson(path) else 1


def parse_json(raw: RawBundle) -> object:
    try:
        return json.loads(raw.text)
    except json.JSONDecodeError as error:
        where = f"column {error.colno}" if raw.one_per_line else f"line {error.lineno}, column {error.colno}"
        raise FhirImportError(f"not valid JSON ({where})") from None
    except RecursionError:
        raise FhirImportError("JSON nested too deeply to be a FHIR bundle") from None
