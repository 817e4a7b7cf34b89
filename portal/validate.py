"""Check every row of an extract against the package's Table Schema, in one streaming pass.

The verdicts are Frictionless's (same error types, same row numbers, same fields); the
engine is columnar: each block of rows is parsed by Arrow straight into typed columns and
every check (required values, constraints, code lists, row rules) runs on whole columns.
When a block holds a cell that does not parse, the file is read again as text, where each
bad cell is found and reported: the usual case (a valid file) pays for one typed pass only.

The pass hands each typed batch to an optional ``sink`` (the Parquet writer of the
convert stage) so the file is decompressed and parsed once for both.
"""
from __future__ import annotations

import bisect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from frictionless import errors as fl_errors

from portal.errors import ExtractError
from portal.formula import Formula
from portal.package import DataPackage, Field, RowRule
from portal.read import (
    ARROW_TYPES, BadRowCounter, HeaderMatch, ReadPlan, READ_ERRORS, decompression_error, iter_batches,
    locate_bad_rows, match_header, open_extract, plan_for, prefetch, read_header,
)

Sink = Callable[[pa.RecordBatch], None]

# Titles and descriptions come from Frictionless itself, so the report reads like its own.
_FRICTIONLESS = {
    cls.type: cls for cls in (
        fl_errors.TypeError, fl_errors.ConstraintError, fl_errors.MissingCellError, fl_errors.ExtraCellError,
        fl_errors.MissingLabelError, fl_errors.ExtraLabelError, fl_errors.IncorrectLabelError,
        fl_errors.ForeignKeyError, fl_errors.RowConstraintError, fl_errors.BlankRowError,
    )
}
MESSAGES = {
    "type-error": "la valeur « {cell} » n'est pas du type {expected}",
    "constraint-error": "la valeur « {cell} » ne respecte pas la contrainte {expected}",
    "missing-cell": "cellule absente : la ligne a moins de cellules que l'en-tête",
    "extra-cell": "cellule en trop « {cell} » : la ligne a plus de cellules que l'en-tête",
    "foreign-key": "le code « {cell} » n'existe pas dans la liste {expected}",
    "row-constraint": "la règle « {expected} » n'est pas respectée",
    "blank-row": "ligne vide",
    "missing-label": "colonne « {expected} » absente de l'en-tête",
    "extra-label": "colonne « {cell} » inattendue dans l'en-tête",
    "incorrect-label": "colonne « {cell} » à la place de « {expected} »",
}
TYPE_NAMES = {"integer": "entier", "number": "nombre", "string": "texte"}
# What Arrow's parsers accept, to find the cells they refuse (text mode only).
_GRAMMAR = {
    "integer": r"^-?([0-9]+|0[xX][0-9a-fA-F]+)$",
    "number": r"^[-+]?(([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?|(?i:nan|inf|infinity))$",
}
_BINCOUNT_LIMIT = 1 << 20  # integer codes below this are counted with a dense bincount


@dataclass
class ErrorGroup:
    """All occurrences of one error type in one field: a count and the first samples."""

    type: str
    field: str | None
    field_number: int | None
    severity: str
    expected: str = ""
    count: int = 0
    samples: list[dict] = field(default_factory=list)  # {"ordinal"| "rowNumber", "cell"}


@dataclass
class ColumnProfile:
    """What the data shows for one column, gathered during validation."""

    nulls: int = 0
    minimum: float | int | str | None = None
    maximum: float | int | str | None = None
    code_counts: dict = field(default_factory=dict)  # code -> rows (coded columns)

    def to_json(self) -> dict:
        return {"nulls": self.nulls, "minimum": self.minimum, "maximum": self.maximum,
                "code_counts": [[code, rows] for code, rows in sorted(self.code_counts.items(), key=lambda kv: str(kv[0]))]}

    @classmethod
    def from_json(cls, data: dict) -> "ColumnProfile":
        return cls(data["nulls"], data["minimum"], data["maximum"], {code: rows for code, rows in data["code_counts"]})


@dataclass
class ValidationResult:
    path: Path
    month: str | None
    valid: bool
    rows: int
    sha256: str | None
    bytes: int
    header: HeaderMatch | None
    report: dict
    profiles: dict[str, ColumnProfile]
    seconds: float
    mode: str  # "typed" or "text"

    @property
    def header_version(self) -> str | None:
        return self.header.version.id if self.header and self.header.version else None


class _ConversionFailed(Exception):
    """A cell did not parse in the typed pass: switch to the text pass."""


class Validator:
    """Accumulates errors and profiles over the batches of one file."""

    def __init__(self, package: DataPackage, columns: list[str], month: str | None):
        self.package = package
        self.config = package.validation
        self.columns = columns
        self.fields: list[Field] = [package.field(name) for name in columns]
        self.groups: dict[tuple[str, str | None], ErrorGroup] = {}
        self.profiles = {name: ColumnProfile() for name in columns}
        self.rows = 0
        self.codesets: dict[str, tuple[np.ndarray | None, set]] = {}
        for f in self.fields:
            codelist = package.codelist_of(f.name)
            if codelist is None:
                continue
            values = set(codelist.code_values)
            dense = None
            if f.type == "integer" and all(isinstance(v, int) and 0 <= v < _BINCOUNT_LIMIT for v in values):
                dense = np.zeros(max(values) + 1, dtype=bool)
                dense[list(values)] = True
            self.codesets[f.name] = (dense, values)
        self.rules: list[tuple[RowRule, Formula]] = []
        for rule in self.config.row_rules:
            formula = Formula(rule.formula)
            if formula.names <= set(columns):  # a rule on columns this header lacks does not apply
                self.rules.append((rule, formula))
        month_field = package.extract.month_field
        if month and month_field in columns:
            yyyymm = month.replace("-", "")
            rule = RowRule(name="mois-du-fichier", title=f"{month_field} vaut le mois du nom du fichier ({yyyymm})",
                           formula=f"{month_field} == {int(yyyymm)}", severity=self.config.severity_of("row-constraint", None))
            self.rules.append((rule, Formula(rule.formula)))

    # -- recording -----------------------------------------------------------------------

    def group(self, error_type: str, field_name: str | None, expected: str = "", severity: str | None = None) -> ErrorGroup:
        key = (error_type, field_name if error_type != "row-constraint" else expected)
        found = self.groups.get(key)
        if found is None:
            number = self.columns.index(field_name) + 1 if field_name in self.columns else None
            found = ErrorGroup(error_type, field_name, number,
                               severity or self.config.severity_of(error_type, field_name), expected)
            self.groups[key] = found
        return found

    def record(self, group: ErrorGroup, positions: np.ndarray, first_ordinal: int, cells) -> None:
        """Count ``positions`` (indexes in the batch) and keep the first samples."""
        group.count += len(positions)
        room = self.config.max_samples - len(group.samples)
        for position in positions[:max(room, 0)]:
            cell = cells(int(position)) if callable(cells) else cells
            group.samples.append({"ordinal": first_ordinal + int(position), "cell": "" if cell is None else str(cell)})

    def record_line(self, group: ErrorGroup, line: int, cell: str = "") -> None:
        group.count += 1
        if len(group.samples) < self.config.max_samples:
            group.samples.append({"rowNumber": line, "cell": cell})

    # -- checks --------------------------------------------------------------------------

    def check(self, batch: pa.RecordBatch, first_ordinal: int, skip: dict[str, np.ndarray] | None = None,
              count_rows: bool = True) -> None:
        """Run every cell and row check on a typed batch. ``skip`` masks cells already
        reported (type errors, missing cells), which Frictionless does not check further."""
        skip = dict(skip or {})
        if count_rows:
            self.rows += batch.num_rows
        first = batch.column(0)
        if batch.num_columns and first.null_count:
            # A blank line parses as a row of nulls: report it once, check nothing else in it.
            blank = first.is_null().to_numpy(zero_copy_only=False)
            for column in batch.columns[1:]:
                blank &= column.is_null().to_numpy(zero_copy_only=False)
            if blank.any():
                self.record(self.group("blank-row", None), np.flatnonzero(blank), first_ordinal, "")
                for name in self.columns:
                    skip[name] = blank if skip.get(name) is None else (skip[name] | blank)
        for f in self.fields:
            column = batch.column(f.name)
            self._profile(f, column)
            mask_skip = skip.get(f.name)
            if column.null_count:
                nulls = column.is_null().to_numpy(zero_copy_only=False)
                if mask_skip is not None:
                    nulls &= ~mask_skip
                if f.required and nulls.any():
                    self.record(self.group("constraint-error", f.name, "required"), np.flatnonzero(nulls), first_ordinal, "")
            self._check_constraints(f, column, first_ordinal)
            if f.name in self.codesets:
                self._check_codes(f, column, first_ordinal)
        for rule, formula in self.rules:
            outcome = formula({name: batch.column(name) for name in formula.names})
            if isinstance(outcome, pa.Scalar):
                outcome = pa.array([outcome.as_py()] * batch.num_rows, pa.bool_())
            failed = pc.invert(outcome.fill_null(False)).to_numpy(zero_copy_only=False)
            if failed.any():
                group = self.group("row-constraint", None, rule.formula, rule.severity)
                self.record(group, np.flatnonzero(failed), first_ordinal, "")

    def _profile(self, f: Field, column: pa.Array) -> None:
        profile = self.profiles[f.name]
        profile.nulls += column.null_count
        if f.name in self.codesets and self.codesets[f.name][0] is not None:
            return  # integer codes: bounds come from the code counts (see finish)
        if f.type in ("integer", "number"):
            bounds = pc.min_max(column)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            if low is not None:
                profile.minimum = low if profile.minimum is None else min(profile.minimum, low)
                profile.maximum = high if profile.maximum is None else max(profile.maximum, high)

    def _check_constraints(self, f: Field, column: pa.Array, first_ordinal: int) -> None:
        c = f.constraints
        checks = []
        if "minimum" in c:
            checks.append((f"minimum {c['minimum']}", lambda col: pc.less(col, c["minimum"])))
        if "maximum" in c:
            checks.append((f"maximum {c['maximum']}", lambda col: pc.greater(col, c["maximum"])))
        if "pattern" in c:
            checks.append((f"pattern {c['pattern']}",
                           lambda col: pc.invert(pc.match_substring_regex(col, f"^(?:{c['pattern']})$"))))
        if "enum" in c:
            checks.append((f"enum {c['enum']}", lambda col: pc.invert(pc.is_in(col, value_set=pa.array(c["enum"], col.type)))))
        if "minLength" in c:
            checks.append((f"minLength {c['minLength']}", lambda col: pc.less(pc.utf8_length(col), c["minLength"])))
        if "maxLength" in c:
            checks.append((f"maxLength {c['maxLength']}", lambda col: pc.greater(pc.utf8_length(col), c["maxLength"])))
        for expected, failing in checks:
            mask = failing(column).fill_null(False).to_numpy(zero_copy_only=False)
            if mask.any():
                positions = np.flatnonzero(mask)
                self.record(self.group("constraint-error", f.name, expected), positions, first_ordinal,
                            lambda i, column=column: column[i].as_py())

    def _check_codes(self, f: Field, column: pa.Array, first_ordinal: int) -> None:
        dense, values = self.codesets[f.name]
        profile = self.profiles[f.name]
        unknown: list = []
        if dense is not None and column.null_count < len(column):
            present = column.drop_null() if column.null_count else column
            data = present.to_numpy()
            low, high = int(data.min()), int(data.max())
            if low >= 0 and high < _BINCOUNT_LIMIT:
                counts = np.bincount(data)
                for code in np.flatnonzero(counts):
                    code = int(code)
                    profile.code_counts[code] = profile.code_counts.get(code, 0) + int(counts[code])
                    if code >= len(dense) or not dense[code]:
                        unknown.append(code)
                if unknown:
                    mask = pc.is_in(column, value_set=pa.array(unknown, column.type)).fill_null(False)
                    self._record_codes(f, column, mask.to_numpy(zero_copy_only=False), first_ordinal)
                return
        counted = pc.value_counts(column)
        for item in counted.to_pylist():
            code, rows = item["values"], item["counts"]
            if code is None:
                continue
            profile.code_counts[code] = profile.code_counts.get(code, 0) + rows
            if code not in values:
                unknown.append(code)
        if unknown:
            mask = pc.is_in(column, value_set=pa.array(unknown, column.type)).fill_null(False).to_numpy(zero_copy_only=False)
            self._record_codes(f, column, mask, first_ordinal)

    def _record_codes(self, f: Field, column: pa.Array, mask: np.ndarray, first_ordinal: int) -> None:
        codelist = self.package.codelist_of(f.name)
        self.record(self.group("foreign-key", f.name, codelist.variable), np.flatnonzero(mask), first_ordinal,
                    lambda i: column[i].as_py())

    # -- lines the parser skipped ------------------------------------------------------------

    def check_bad_lines(self, bad: list[tuple[int, str | None]], plan: ReadPlan) -> None:
        """Report lines with a wrong cell count, and check the cells they do have.

        Cells are compared with the physical columns, trailing column included, as
        Frictionless does with the published dialect."""
        width = len(self.columns)
        physical = plan.physical_columns[:]
        if plan.trailing_delimiter:
            physical[-1] = self.package.extract.trailing_field_name
        texts, lines = [], []
        for line, text in bad:
            if text is None:  # beyond the kept samples: count only
                self.group("missing-cell", None).count += 1
                continue
            cells = text.split(plan.delimiter)
            for index in range(len(cells), len(physical)):
                group = self.group("missing-cell", physical[index])
                group.field_number = index + 1
                self.record_line(group, line)
            for index in range(len(physical), len(cells)):
                self.record_line(self.group("extra-cell", None), line, cells[index])
            if plan.trailing_delimiter and len(cells) > width and cells[width] != "":
                group = self.group("constraint-error", physical[width], "maxLength 0")
                group.field_number = width + 1
                self.record_line(group, line, cells[width])
            texts.append((cells + [None] * width)[:width])
            lines.append(line)
        if not texts:
            return
        strings = pa.RecordBatch.from_arrays(
            [pa.array([row[i] if row[i] != "" else None for row in texts], pa.string()) for i in range(width)],
            names=self.columns)
        # Missing cells are null: Frictionless reports them as missing and, for required
        # fields, as required too; nothing else checks a null.
        typed, skip = coerce_text_batch(self, strings, first_ordinal=0, line_numbers=lines)
        # Samples of these rows carry physical lines: record through a line-mapping shim.
        self._with_lines(lines, lambda: self.check(typed, 0, skip, count_rows=False))

    def _with_lines(self, lines: list[int], action: Callable[[], None]) -> None:
        before = {key: len(group.samples) for key, group in self.groups.items()}
        action()
        for key, group in self.groups.items():
            for sample in group.samples[before.get(key, 0):]:
                if "ordinal" in sample:
                    sample["rowNumber"] = lines[sample.pop("ordinal")]

    # -- report ----------------------------------------------------------------------------

    def finish(self, skipped_lines: list[int]) -> list[ErrorGroup]:
        """Turn ordinals (data rows in parse order) into physical line numbers."""
        for name, profile in self.profiles.items():
            if profile.code_counts and profile.minimum is None:
                codes = [c for c in profile.code_counts if isinstance(c, int)]
                if codes:
                    profile.minimum, profile.maximum = min(codes), max(codes)
        for group in self.groups.values():
            for sample in group.samples:
                if "ordinal" in sample:
                    sample["rowNumber"] = ordinal_to_line(sample.pop("ordinal"), skipped_lines)
        return sorted(self.groups.values(), key=lambda g: (g.severity != "error", g.type, g.field_number or 0, g.expected))


def ordinal_to_line(ordinal: int, skipped_lines: list[int]) -> int:
    """Physical line of the ``ordinal``-th parsed data row (0-based), given the sorted
    physical lines the parser skipped (the header is line 1)."""
    line = ordinal + 2
    shift = 0
    while True:
        new_shift = bisect.bisect_right(skipped_lines, line + shift)
        if new_shift == shift:
            return line + shift
        shift = new_shift


def coerce_text_batch(validator: Validator, batch: pa.RecordBatch, first_ordinal: int,
                      line_numbers: list[int] | None = None) -> tuple[pa.RecordBatch, dict[str, np.ndarray]]:
    """Cast a batch read as text to the schema's types, reporting each cell that does not
    parse as a ``type-error`` and nulling it (then skipped by the other checks)."""
    arrays, skip = [], {}
    for f in validator.fields:
        column = batch.column(f.name)
        target = ARROW_TYPES[f.type]
        if f.type == "string":
            arrays.append(column)
            continue
        trimmed = pc.utf8_trim_whitespace(column)
        try:
            arrays.append(pc.cast(trimmed, target))
            continue
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        accepted = pc.match_substring_regex(trimmed, _GRAMMAR[f.type])
        bad = pc.invert(accepted).fill_null(False).to_numpy(zero_copy_only=False)
        cleaned = pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), trimmed)
        try:
            typed = pc.cast(cleaned, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # the grammar let a bad cell through
            values = []
            for i, value in enumerate(cleaned.to_pylist()):
                try:
                    values.append(None if value is None else pc.cast(pa.array([value]), target)[0].as_py())
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    bad[i] = True
                    values.append(None)
            typed = pa.array(values, target)
        group = validator.group("type-error", f.name, TYPE_NAMES[f.type])
        positions = np.flatnonzero(bad)
        if line_numbers is None:
            validator.record(group, positions, first_ordinal, lambda i, column=column: column[i].as_py())
        else:
            for i in positions:
                validator.record_line(group, line_numbers[int(i)], column[int(i)].as_py())
        arrays.append(typed)
        skip[f.name] = bad
    return pa.RecordBatch.from_arrays(arrays, names=validator.columns), skip


# ---------------------------------------------------------------------------------------


def _run_pass(package: DataPackage, path: Path, columns: list[str], month: str | None, text: bool,
              sink_factory: Callable[[], Sink | None] | None,
              storage: Callable[[str], pa.DataType] | None,
              progress: Callable[[int], None] | None = None) -> tuple[Validator, ReadPlan, int, str, int]:
    validator = Validator(package, columns, month)
    plan = plan_for(package, columns, text=text, storage=storage)
    bad_rows = BadRowCounter()
    opened = open_extract(path)
    sink = sink_factory() if sink_factory else None
    ordinal = 0
    try:
        for batch in prefetch(iter_batches(opened, plan, bad_rows)):
            skip = None
            if text:
                batch, skip = coerce_text_batch(validator, batch, ordinal)
            validator.check(batch, ordinal, skip)
            if sink is not None:
                sink(batch)
            ordinal += batch.num_rows
            if progress is not None:
                progress(ordinal)
        sha256, size = opened.finish_hash()
    except pa.ArrowInvalid as exc:
        message = str(exc)
        if "conversion error" in message and not text:
            raise _ConversionFailed(message) from exc
        # Decompression errors never reach Arrow: it parses chunks already read (see below).
        raise ExtractError(path, f"lecture CSV impossible vers la ligne {ordinal + 2 + bad_rows.count} : {message}") from exc
    except READ_ERRORS as exc:
        raise decompression_error(path, exc, line=ordinal + 2 + bad_rows.count) from exc
    finally:
        opened.close()
    return validator, plan, bad_rows.count, sha256, size


def validate_extract(package: DataPackage, path: Path, sink_factory: Callable[[], Sink | None] | None = None,
                     on_restart: Callable[[], None] | None = None,
                     storage: Callable[[str], pa.DataType] | None = None,
                     progress: Callable[[int], None] | None = None) -> ValidationResult:
    """Validate one extract; ``sink_factory`` makes a consumer of the typed batches (made
    anew if the pass restarts in text mode; ``on_restart`` discards the first one's output).
    ``storage`` gives the Arrow type to parse each column into in the typed pass."""
    started = time.perf_counter()
    path = Path(path)
    month = package.extract.month_of(path.name)
    labels = read_header(path, package.extract.delimiter, package.extract.trailing_delimiter)
    header = match_header(labels, package.extract.header_versions, month)
    if not header.ok:
        validator = Validator(package, [], month)
        _header_errors(validator, header)
        opened = open_extract(path)
        try:
            sha256, size = opened.finish_hash()
        except READ_ERRORS as exc:
            raise decompression_error(path, exc) from exc
        finally:
            opened.close()
        groups = validator.finish([])
        report = build_report(package, path, header, groups, 0, sha256, size, time.perf_counter() - started, [])
        return ValidationResult(path, month, False, 0, sha256, size, header, report, {}, report["stats"]["seconds"], "header")

    columns = list(header.version.columns)
    mode = "typed"
    try:
        validator, plan, bad_count, sha256, size = _run_pass(package, path, columns, month, False, sink_factory, storage,
                                                             progress)
    except _ConversionFailed:
        if on_restart:
            on_restart()
        mode = "text"
        validator, plan, bad_count, sha256, size = _run_pass(package, path, columns, month, True, sink_factory, None,
                                                             progress)
    skipped: list[int] = []
    if bad_count:
        bad = locate_bad_rows(path, plan, keep_text=10 * package.validation.max_samples)
        skipped = [line for line, _ in bad]
        validator.check_bad_lines(bad, plan)
    warnings = []
    if month and not header.version.covers(month):
        warnings.append(f"L'en-tête {header.version.id} ({header.version.title}) ne correspond pas à la période du mois {month}.")
    groups = validator.finish(skipped)
    rows = validator.rows + bad_count
    report = build_report(package, path, header, groups, rows, sha256, size, time.perf_counter() - started, warnings)
    return ValidationResult(path, month, report["valid"], rows, sha256, size, header, report,
                            validator.profiles, report["stats"]["seconds"], mode)


def _header_errors(validator: Validator, header: HeaderMatch) -> None:
    expected = list(header.closest.columns)
    for name in header.missing:
        group = validator.group("missing-label", name, name)
        group.field_number = expected.index(name) + 1
        validator.record_line(group, 1, "")
    for name in header.extra:
        group = validator.group("extra-label", name, "")
        group.field_number = header.labels.index(name) + 1
        validator.record_line(group, 1, name)
    for position, found, wanted in header.misplaced:
        group = validator.group("incorrect-label", found, wanted)
        group.field_number = position
        validator.record_line(group, 1, found)


def build_report(package: DataPackage, path: Path, header: HeaderMatch, groups: list[ErrorGroup], rows: int,
                 sha256: str | None, size: int, seconds: float, warnings: list[str]) -> dict:
    """A report shaped like Frictionless's (``frictionless validate --json``), plus a
    ``summary`` with every (error type, field) group, its total count and severity."""
    errors, summary, error_count, warning_count = [], [], 0, 0
    for group in groups:
        cls = _FRICTIONLESS.get(group.type)
        template = MESSAGES.get(group.type, group.type)
        items = []
        for sample in group.samples:
            message = template.format(cell=sample.get("cell", ""), expected=group.expected or group.field or "")
            where = f"ligne {sample['rowNumber']}" + (f", colonne {group.field}" if group.field else "")
            item = {
                "type": group.type,
                "title": cls.title if cls else group.type,
                "description": cls.description if cls else "",
                "message": f"{where} : {message}",
                "tags": list(cls.tags) if cls else [],
                "note": group.expected,
                "rowNumber": sample["rowNumber"],
                "severity": group.severity,
            }
            if group.field:
                item.update({"fieldName": group.field, "fieldNumber": group.field_number})
                if group.type in ("missing-label", "extra-label", "incorrect-label"):
                    item["label"] = sample.get("cell", "")
                else:
                    item["cell"] = sample.get("cell", "")
            if group.type in ("missing-label", "extra-label", "incorrect-label"):
                item.pop("rowNumber")
            items.append(item)
        if group.severity == "error":
            error_count += group.count
            errors.extend(items)
        else:
            warning_count += group.count
            warnings.append(f"{group.type} {group.field or group.expected} : {group.count} occurrence(s) (avertissement)")
        summary.append({"type": group.type, "fieldName": group.field, "fieldNumber": group.field_number,
                        "note": group.expected, "severity": group.severity, "count": group.count, "samples": items})
    valid = error_count == 0
    labels = header.labels if header else []
    task = {
        "name": path.name.split(".")[0],
        "type": "table",
        "valid": valid,
        "place": path.name,
        "labels": labels,
        "headerVersion": header.version.id if header and header.version else None,
        "stats": {"sha256": sha256, "bytes": size, "fields": len(labels), "rows": rows,
                  "errors": error_count, "warnings": warning_count, "seconds": round(seconds, 3)},
        "warnings": warnings,
        "errors": errors,
        "summary": summary,
    }
    return {
        "valid": valid,
        "stats": {"seconds": round(seconds, 3), "tasks": 1, "errors": error_count, "warnings": warning_count},
        "warnings": [],
        "errors": [],
        "tasks": [task],
    }


def merge_reports(reports: list[dict]) -> dict:
    """One report for several files, as ``frictionless validate`` gives for a package."""
    tasks = [task for report in reports for task in report["tasks"]]
    return {
        "valid": all(t["valid"] for t in tasks),
        "stats": {
            "seconds": round(sum(r["stats"]["seconds"] for r in reports), 3), "tasks": len(tasks),
            "errors": sum(t["stats"]["errors"] for t in tasks), "warnings": sum(t["stats"]["warnings"] for t in tasks),
        },
        "warnings": [],
        "errors": [],
        "tasks": tasks,
    }
