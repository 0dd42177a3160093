"""Errors of ist-analyse: one hierarchy, stable codes, messages that point at file, line and column.

The CLI turns every :class:`IstAnalyseError` into one short message on stderr and exit code 2:
the input or the configuration is at fault, not the program. Any other exception is a bug.
Tests match :attr:`IstAnalyseError.code`, never the wording.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any


class ErrorCode(StrEnum):
    """Stable reasons, for tests and for scripts that parse ``--json`` errors."""

    FILE_NOT_FOUND = "FILE_NOT_FOUND"
    EMPTY_FILE = "EMPTY_FILE"
    UNKNOWN_FORMAT = "UNKNOWN_FORMAT"
    WRONG_FORMAT = "WRONG_FORMAT"
    BINARY_FILE = "BINARY_FILE"
    ENCODING = "ENCODING"
    BAD_ROW = "BAD_ROW"
    DUPLICATE_HEADER = "DUPLICATE_HEADER"
    NO_ROWS = "NO_ROWS"
    MISSING_COLUMN = "MISSING_COLUMN"
    BAD_TIMESTAMP = "BAD_TIMESTAMP"
    EMPTY_VALUE = "EMPTY_VALUE"
    XML_SYNTAX = "XML_SYNTAX"
    XML_DTD_FORBIDDEN = "XML_DTD_FORBIDDEN"
    XML_STRUCTURE = "XML_STRUCTURE"
    SIZE_LIMIT = "SIZE_LIMIT"
    DATABASE = "DATABASE"
    CONFIG = "CONFIG"
    OUTPUT = "OUTPUT"
    PRIVACY = "PRIVACY"
    MODEL = "MODEL"


class IstAnalyseError(Exception):
    """Base class: something about the user's input or configuration is wrong.

    ``str(err)`` reads like a compiler message a user can act on::

        export.csv: line 24, column Zeitpunkt: '31.02.2025 25:61' is not a date
        (expected TT.MM.JJJJ HH:MM)
    """

    default_code: ErrorCode = ErrorCode.CONFIG

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        code: ErrorCode | None = None,
        row_label: str = "line",
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        self.hint = hint
        self.code = code or self.default_code
        self.row_label = row_label
        super().__init__(str(self))

    def location(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column}")
        where = ", ".join(parts)
        if self.file and where:
            return f"{self.file}: {where}"
        return self.file or where

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": str(self.code),
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "hint": self.hint,
        }


class InputError(IstAnalyseError):
    """An input file or database cannot be read: missing, empty, wrong format, bad encoding."""

    default_code = ErrorCode.WRONG_FORMAT


class MappingError(IstAnalyseError):
    """A required column is absent, or the mapping names a column the source does not have."""

    default_code = ErrorCode.MISSING_COLUMN


class SchemaError(IstAnalyseError):
    """One value cannot be converted: a bad date, an empty case id, in a known row."""

    default_code = ErrorCode.BAD_TIMESTAMP


class ConfigError(IstAnalyseError):
    """A mapping/config file or an option is malformed."""

    default_code = ErrorCode.CONFIG


class OutputError(IstAnalyseError):
    """An output cannot be written, or would overwrite an input."""

    default_code = ErrorCode.OUTPUT


class PrivacyError(IstAnalyseError):
    """A privacy safeguard refuses the request (e.g. an unreadable key file)."""

    default_code = ErrorCode.PRIVACY


class ModelError(IstAnalyseError):
    """A process model cannot be read or converted."""

    default_code = ErrorCode.MODEL
