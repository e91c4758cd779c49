"""Extracts: the contract's tables (`schema`) and the import of files into them (`importer`).

The import API is loaded lazily, so that `metrics.extracts.schema` (which the
catalogue uses) does not pull in DuckDB and Arrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from metrics.extracts.importer import ImportReport, import_file, import_paths

__all__ = ["ImportReport", "import_file", "import_paths"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from metrics.extracts import importer

        return getattr(importer, name)
    raise AttributeError(f"module 'metrics.extracts' has no attribute {name!r}")
