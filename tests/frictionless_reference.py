"""Run Frictionless itself on an extract, with the same schema, code lists and rules as
our engine, and return its verdicts as a set of (error type, row, field)."""
from __future__ import annotations

from pathlib import Path

from frictionless import Checklist, Dialect, Package, Resource, Schema, checks, system

from portal.package import DataPackage, published_dialect, published_schema


def frictionless_verdicts(package: DataPackage, path: Path, version_id: str, month: str | None) -> set[tuple]:
    version = package.header_version(version_id)
    schema = published_schema(package, version)
    resources = [Resource(
        name="extrait", path=str(path), format="csv",
        compression="gz" if str(path).endswith(".gz") else None,
        dialect=Dialect.from_descriptor(published_dialect(package)), schema=Schema.from_descriptor(schema),
    )]
    for codelist in package.codelists.values():
        descriptor = next(r for r in package.descriptor["resources"] if r["name"] == codelist.name)
        resources.append(Resource(name=codelist.name, path=str(codelist.path), format="csv",
                                  schema=Schema.from_descriptor(descriptor["schema"])))
    frictionless_package = Package(resources=resources)
    rules = [r for r in package.validation.row_rules]
    formulas = [r.formula for r in rules if all(n in version.columns for n in _names(r.formula))]
    if month and package.extract.month_field in version.columns:
        formulas.append(f"{package.extract.month_field} == {int(month.replace('-', ''))}")
    checklist = Checklist(checks=[checks.row_constraint(formula=f) for f in formulas])
    with system.use_context(trusted=True):  # absolute paths of temporary files
        report = frictionless_package.get_resource("extrait").validate(checklist=checklist)
    verdicts = set()
    for error in report.tasks[0].errors:
        field = getattr(error, "field_name", None)
        if error.type == "foreign-key":  # a row error: its field is in field_names
            field = error.field_names[0]
        verdicts.add((error.type, getattr(error, "row_number", None), field or None))  # extra-cell: ''

    return verdicts


def _names(formula: str) -> set[str]:
    import ast
    return {node.id for node in ast.walk(ast.parse(formula, mode="eval")) if isinstance(node, ast.Name)}


def our_verdicts(result) -> set[tuple]:
    verdicts = set()
    for group in result.report["tasks"][0]["summary"]:
        if group["severity"] != "error":
            continue
        for sample in group["samples"]:
            field = sample.get("fieldName") if group["type"] != "row-constraint" else None
            verdicts.add((group["type"], sample.get("rowNumber"), field))
    return verdicts
