"""Load a data package folder (``datapackages/<name>/``) into typed, checked objects.

A package is data only: ``datapackage.json`` (Frictionless v2), the Table Schema of its
periodic extract, its code lists, Markdown pages and ``portal.yaml`` (how the generator
reads and presents it). Every key of ``portal.yaml`` is known here; an unknown key is an
error, as in a strict build, so a typo never silently does nothing.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portal.errors import PackageError


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    type: str  # integer | number | string
    description: str = ""
    category: str = ""
    required: bool = True
    constraints: dict[str, Any] = field(default_factory=dict)
    codelist: str | None = None  # resource name of the code list (foreign key)
    storage_type: str | None = None  # explicit Parquet type, e.g. int32


@dataclass(frozen=True)
class Code:
    code: int | str
    label: str
    extra: str = ""  # note, or NGAP mnemonic for PRS_NAT


@dataclass(frozen=True)
class CodeList:
    name: str  # resource name
    variable: str
    title: str
    description: str
    path: Path
    official: bool
    extra_column: str  # "note" or "code_b2"
    codes: tuple[Code, ...]

    @property
    def code_values(self) -> list:
        return sorted({c.code for c in self.codes}, key=lambda v: (isinstance(v, str), v))


@dataclass(frozen=True)
class HeaderVersion:
    id: str
    title: str
    first_month: str
    last_month: str | None
    columns: tuple[str, ...]

    def covers(self, month: str) -> bool:
        return self.first_month <= month and (self.last_month is None or month <= self.last_month)


@dataclass(frozen=True)
class ExtractFormat:
    schema_path: Path
    file_pattern: re.Pattern
    file_name: str
    delimiter: str
    trailing_delimiter: bool
    trailing_field_name: str
    month_field: str
    header_versions: tuple[HeaderVersion, ...]

    def month_of(self, file_name: str) -> str | None:
        """'A202501.csv.gz' -> '2025-01', or None when the name is not an extract's."""
        match = self.file_pattern.match(file_name)
        return f"{match['year']}-{match['month']}" if match else None


@dataclass(frozen=True)
class RowRule:
    name: str
    title: str
    formula: str
    severity: str = "error"
    note: str = ""


@dataclass(frozen=True)
class SeverityRule:
    type: str
    severity: str
    field: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class ValidationConfig:
    default_severity: str = "error"
    severities: tuple[SeverityRule, ...] = ()
    max_samples: int = 20
    row_rules: tuple[RowRule, ...] = ()

    def severity_of(self, error_type: str, field_name: str | None) -> str:
        for rule in self.severities:
            if rule.type == error_type and rule.field in (None, field_name):
                return rule.severity
        return self.default_severity


@dataclass(frozen=True)
class MeasureFamily:
    prefix: str
    filtered: bool
    filter_field: str | None = None


@dataclass(frozen=True)
class MeasuresConfig:
    main_amount: str
    families: dict[str, MeasureFamily]


@dataclass(frozen=True)
class EmbeddedSample:
    months: str
    rows: int
    seed: int
    out: str


@dataclass(frozen=True)
class SampleConfig:
    frequencies: str
    profiles: str
    embedded: EmbeddedSample


@dataclass(frozen=True)
class DataPackage:
    root: Path
    name: str
    title: str
    short_description: str
    descriptor: dict[str, Any]
    schema: dict[str, Any]
    fields: tuple[Field, ...]
    codelists: dict[str, CodeList]  # by resource name
    extract: ExtractFormat
    validation: ValidationConfig
    measures: MeasuresConfig
    sample: SampleConfig | None

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def codelist_of(self, field_name: str) -> CodeList | None:
        name = self.field(field_name).codelist
        return self.codelists[name] if name else None

    def header_version(self, version_id: str) -> HeaderVersion:
        return next(v for v in self.extract.header_versions if v.id == version_id)

    @property
    def docs_dir(self) -> Path:
        return self.root / "docs"


# ---------------------------------------------------------------------------
# Strict parsing of portal.yaml


def _build(cls, data: Any, where: str):
    """Build dataclass ``cls`` from a mapping, refusing unknown and missing keys."""
    if not isinstance(data, dict):
        raise PackageError(f"{where}: attendu un dictionnaire, reçu {type(data).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise PackageError(f"{where}: clé(s) inconnue(s) {', '.join(unknown)} (attendues : {', '.join(known)})")
    missing = [
        name for name, f in known.items()
        if name not in data and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise PackageError(f"{where}: clé(s) manquante(s) {', '.join(missing)}")
    return cls(**data)


def _check_severity(value: str, where: str) -> str:
    if value not in ("error", "warning"):
        raise PackageError(f"{where}: sévérité « {value} » inconnue (attendu error ou warning)")
    return value


def _month(value: Any, where: str) -> str:
    text = str(value)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise PackageError(f"{where}: mois « {text} » invalide (attendu AAAA-MM)")
    return text


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackageError(f"{path}: YAML invalide : {exc}") from exc
    if not isinstance(data, dict):
        raise PackageError(f"{path}: attendu un dictionnaire YAML")
    return data


def _load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackageError(f"{path}: fichier introuvable") from exc
    except json.JSONDecodeError as exc:
        raise PackageError(f"{path}: JSON invalide, ligne {exc.lineno} colonne {exc.colno} : {exc.msg}") from exc


def _fields_from_schema(schema: dict, where: str) -> tuple[Field, ...]:
    foreign = {}
    for key in schema.get("foreignKeys", []):
        names = key["fields"] if isinstance(key["fields"], list) else [key["fields"]]
        foreign[names[0]] = key["reference"]["resource"]
    fields = []
    for raw in schema.get("fields", []):
        if raw.get("type") not in ("integer", "number", "string"):
            raise PackageError(f"{where}: champ {raw.get('name')}: type « {raw.get('type')} » non pris en charge")
        constraints = dict(raw.get("constraints", {}))
        fields.append(Field(
            name=raw["name"],
            title=raw.get("title", raw["name"]),
            type=raw["type"],
            description=raw.get("description", ""),
            category=raw.get("category", ""),
            required=bool(constraints.get("required", False)),
            constraints=constraints,
            codelist=foreign.get(raw["name"]),
            storage_type=raw.get("storageType"),
        ))
    return tuple(fields)


def _load_codelist(root: Path, resource: dict) -> CodeList:
    path = root / resource["path"]
    string_codes = resource["schema"]["fields"][0]["type"] == "string"
    extra_column = resource["schema"]["fields"][2]["name"] if len(resource["schema"]["fields"]) > 2 else "note"
    codes = []
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            raw = (row.get("code") or "").strip()
            try:
                code: int | str = raw if string_codes else int(raw)
            except ValueError as exc:
                raise PackageError(f"{path}, ligne {line_number}, colonne code : « {raw} » n'est pas un entier") from exc
            codes.append(Code(code, (row.get("libelle") or "").strip(), (row.get(extra_column) or "").strip()))
    return CodeList(
        name=resource["name"], variable=resource.get("variable", resource["name"].upper()),
        title=resource.get("title", resource["name"]), description=resource.get("description", ""),
        path=path, official=bool(resource.get("official", True)), extra_column=extra_column, codes=tuple(codes),
    )


def load_package(root: Path) -> DataPackage:
    """Read and check one data package folder."""
    root = Path(root)
    descriptor = _load_json(root / "datapackage.json")
    config = _load_yaml(root / "portal.yaml")
    where = f"{root / 'portal.yaml'}"
    allowed = {"title", "short_description", "extract", "validation", "measures", "sample"}
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise PackageError(f"{where}: clé(s) inconnue(s) {', '.join(unknown)}")

    raw_extract = dict(config.get("extract") or {})
    versions_raw = raw_extract.pop("header_versions", [])
    extract_fields = {f.name for f in dataclasses.fields(ExtractFormat)} - {"schema_path", "header_versions"}
    extract_fields |= {"schema"}
    unknown = sorted(set(raw_extract) - extract_fields)
    if unknown:
        raise PackageError(f"{where}: extract: clé(s) inconnue(s) {', '.join(unknown)}")
    schema_path = root / raw_extract["schema"]
    schema = _load_json(schema_path)
    fields = _fields_from_schema(schema, str(schema_path))
    names = [f.name for f in fields]

    versions = []
    for index, raw in enumerate(versions_raw):
        vwhere = f"{where}: extract.header_versions[{index}]"
        raw = dict(raw)
        exclude = raw.pop("exclude", [])
        bad = sorted(set(exclude) - set(names))
        if bad:
            raise PackageError(f"{vwhere}: colonne(s) exclue(s) absente(s) du schéma : {', '.join(bad)}")
        raw["columns"] = tuple(n for n in names if n not in exclude)
        raw["first_month"] = _month(raw.get("first_month"), vwhere)
        raw["last_month"] = _month(raw["last_month"], vwhere) if raw.get("last_month") else None
        versions.append(_build(HeaderVersion, raw, vwhere))
    if not versions:
        versions.append(HeaderVersion("v1", "En-tête", "0000-01", None, tuple(names)))

    try:
        pattern = re.compile(raw_extract["file_pattern"])
    except (KeyError, re.error) as exc:
        raise PackageError(f"{where}: extract.file_pattern absent ou invalide : {exc}") from exc
    extract = ExtractFormat(
        schema_path=schema_path,
        file_pattern=pattern,
        file_name=raw_extract.get("file_name", "{year}{month}.csv.gz"),
        delimiter=raw_extract.get("delimiter", ","),
        trailing_delimiter=bool(raw_extract.get("trailing_delimiter", False)),
        trailing_field_name=raw_extract.get("trailing_field_name", "FIN_DE_LIGNE"),
        month_field=raw_extract.get("month_field", ""),
        header_versions=tuple(versions),
    )

    raw_validation = dict(config.get("validation") or {})
    raw_validation["severities"] = tuple(
        _build(SeverityRule, {**r, "severity": _check_severity(r.get("severity"), f"{where}: validation.severities[{i}]")},
               f"{where}: validation.severities[{i}]")
        for i, r in enumerate(raw_validation.get("severities", []))
    )
    raw_validation["row_rules"] = tuple(
        _build(RowRule, r, f"{where}: validation.row_rules[{i}]") for i, r in enumerate(raw_validation.get("row_rules", []))
    )
    for rule in raw_validation["row_rules"]:
        _check_severity(rule.severity, f"{where}: règle {rule.name}")
    validation = _build(ValidationConfig, raw_validation, f"{where}: validation")
    _check_severity(validation.default_severity, f"{where}: validation.default_severity")

    raw_measures = dict(config.get("measures") or {})
    raw_measures["families"] = {
        key: _build(MeasureFamily, value, f"{where}: measures.families.{key}")
        for key, value in (raw_measures.get("families") or {}).items()
    }
    measures = _build(MeasuresConfig, raw_measures, f"{where}: measures")
    if measures.main_amount not in names:
        raise PackageError(f"{where}: measures.main_amount « {measures.main_amount} » absent du schéma")

    sample = None
    if config.get("sample"):
        raw_sample = dict(config["sample"])
        raw_sample["embedded"] = _build(EmbeddedSample, raw_sample.get("embedded"), f"{where}: sample.embedded")
        sample = _build(SampleConfig, raw_sample, f"{where}: sample")

    codelists = {}
    for resource in descriptor.get("resources", []):
        if resource.get("path", "").startswith("codelists/"):
            codelists[resource["name"]] = _load_codelist(root, resource)
    for f in fields:
        if f.codelist and f.codelist not in codelists:
            raise PackageError(f"{schema_path}: champ {f.name}: liste de codes « {f.codelist} » absente du paquet")

    return DataPackage(
        root=root, name=descriptor.get("name", root.name), title=config.get("title", descriptor.get("title", root.name)),
        short_description=config.get("short_description", ""), descriptor=descriptor, schema=schema,
        fields=fields, codelists=codelists, extract=extract, validation=validation, measures=measures, sample=sample,
    )


def published_schema(package: DataPackage, version: HeaderVersion) -> dict:
    """Table Schema of one header version as published: header read as a comment row,
    columns by position, and the always-empty trailing column of the producer's format."""
    by_name = {f["name"]: f for f in package.schema["fields"]}
    fields = [dict(by_name[name]) for name in version.columns]
    for f in fields:
        f.pop("storageType", None)
    if package.extract.trailing_delimiter:
        fields.append({
            "name": package.extract.trailing_field_name,
            "title": "Fin de ligne (colonne technique)",
            "description": "Chaque ligne du fichier se termine par un séparateur : cette colonne est toujours vide.",
            "type": "string",
            "constraints": {"maxLength": 0},
        })
    keys = [k for k in package.schema.get("foreignKeys", []) if k["fields"][0] in version.columns]
    schema = {"fields": fields, "missingValues": package.schema.get("missingValues", [""])}
    if keys:
        schema["foreignKeys"] = keys
    return schema


def published_dialect(package: DataPackage) -> dict:
    """Table Dialect of the producer's files: the header line is skipped as a comment (its
    trailing empty label is not a column name) and columns are taken in schema order."""
    return {"header": False, "commentRows": [1], "delimiter": package.extract.delimiter}


def discover_packages(root: Path) -> list[Path]:
    return sorted(p.parent for p in Path(root).glob("*/datapackage.json"))
