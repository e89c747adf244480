"""Importing the city's export files (CSV, XLSX, GeoJSON) into the database, checked
against the data contract, one transaction per file.

Public API: :func:`import_files`, :class:`FileReport`, :class:`Problem`,
:class:`ImportUsageError`, and :func:`cli_import` for ``python -m sitrep import``.
"""

from sitrep.ingest.command import cli_import
from sitrep.ingest.load import ImportUsageError, import_files
from sitrep.ingest.report import FileReport, Problem

__all__ = ["import_files", "FileReport", "Problem", "ImportUsageError", "cli_import"]
