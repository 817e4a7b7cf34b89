"""Errors the build reports to a person: each names the file and, when known, the line
and the column, and what was expected. ``build.py`` turns them into a message and an
exit code (2 for usage, I/O and package errors; 1 for invalid data)."""
from __future__ import annotations


class PortalError(Exception):
    """Base class: a message meant for a person, in French like the site."""

    exit_code = 2


class PackageError(PortalError):
    """The data package itself (descriptor, schema, portal.yaml, code lists) is wrong."""


class ExtractError(PortalError):
    """An extract cannot be read at all (not gzip, truncated, wrong separator, empty...)."""

    def __init__(self, path, message: str, line: int | None = None, column: str | None = None):
        self.path, self.line, self.column = str(path), line, column
        where = self.path
        if line is not None:
            where += f", ligne {line}"
        if column:
            where += f", colonne {column}"
        super().__init__(f"{where} : {message}")


class InvalidData(PortalError):
    """Validation found errors: the report says which."""

    exit_code = 1


class ReleaseConflict(PortalError):
    """A month already published arrives with other content without being declared a correction."""
