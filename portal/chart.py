"""Charts declared as data (``charts.yaml``), computed from the monthly cubes and rendered
at build time to static SVG (Altair + vl-convert, French number and date formats), each
with a text alternative generated from its data and the data itself as a table and CSV.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import duckdb
import vl_convert
import yaml

from portal.errors import PackageError
from portal.package import DataPackage

BY_SPECIAL = {"FLX_ANN_MOI", "category"}
KINDS = {"line", "bar"}


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    measure: str
    by: str
    kind: str
    description: str = ""
    top: int | None = None
    latest_month_only: bool = False
    filters: dict = field(default_factory=dict)


@dataclass
class ChartConfig:
    dimensions: list[str]
    measures: list[str]
    categories_field: str | None
    categories_path: Path | None
    charts: list[ChartSpec]


def load_charts(package: DataPackage) -> ChartConfig | None:
    path = package.root / "charts.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(data) - {"cube", "categories", "charts"})
    if unknown:
        raise PackageError(f"{path}: clé(s) inconnue(s) {', '.join(unknown)}")
    names = {f.name for f in package.fields}
    cube = data.get("cube") or {}
    dimensions, measures = list(cube.get("dimensions", [])), list(cube.get("measures", []))
    for name in dimensions + measures:
        if name not in names:
            raise PackageError(f"{path}: cube : colonne « {name} » absente du schéma")
    categories = data.get("categories") or {}
    charts = []
    for index, raw in enumerate(data.get("charts", [])):
        where = f"{path}: charts[{index}]"
        try:
            spec = ChartSpec(**raw)
        except TypeError as exc:
            raise PackageError(f"{where}: {exc}") from exc
        check_measure_rules(package, spec, where)
        if spec.kind not in KINDS:
            raise PackageError(f"{where}: kind « {spec.kind} » inconnu (attendu {', '.join(sorted(KINDS))})")
        if spec.by not in BY_SPECIAL and spec.by not in dimensions:
            raise PackageError(f"{where}: by « {spec.by} » n'est pas une dimension du cube")
        if spec.measure not in measures:
            raise PackageError(f"{where}: measure « {spec.measure} » n'est pas une mesure du cube")
        charts.append(spec)
    return ChartConfig(dimensions, measures, categories.get("field"),
                       package.root / categories["path"] if categories.get("path") else None, charts)


def check_measure_rules(package: DataPackage, spec: ChartSpec, where: str) -> None:
    """The descriptor's rule: FLT measures are summed as they are; a PRS measure needs a
    filter on its type field; one figure never mixes the two families."""
    measures = [spec.measure] if isinstance(spec.measure, str) else list(spec.measure)
    families = {name: family for name in measures for family in package.measures.families.values()
                if name.startswith(family.prefix)}
    if len({f.prefix for f in families.values()}) > 1:
        raise PackageError(f"{where}: le graphique « {spec.id} » mélange des mesures FLT et PRS ({', '.join(measures)}) : "
                           "les deux familles ne s'additionnent jamais")
    for name, family in families.items():
        if not family.filtered and family.filter_field not in (spec.filters or {}):
            raise PackageError(f"{where}: le graphique « {spec.id} » somme {name} sans filtre sur {family.filter_field} : "
                               f"les mesures {family.prefix}* comptent chaque prestation plusieurs fois")
    if len(measures) != 1:
        raise PackageError(f"{where}: une seule mesure par graphique")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def chart_data(package: DataPackage, config: ChartConfig, spec: ChartSpec, cubes: dict[str, Path]) -> list[dict]:
    """Rows {key, label, value} of one chart, from the cubes of the months it covers."""
    months = sorted(cubes)
    if spec.latest_month_only:
        months = months[-1:]
    files = ", ".join(f"'{cubes[m].as_posix()}'" for m in months)
    con = duckdb.connect()
    source = f"read_parquet([{files}])"
    where = " AND ".join(f"{_quote(k)} = {int(v)}" for k, v in (spec.filters or {}).items()) or "TRUE"
    measure = f"sum({_quote(spec.measure)})"
    if spec.by == "category":
        con.execute(f"CREATE TABLE categories AS SELECT * FROM read_csv('{config.categories_path.as_posix()}', header=true)")
        query = (f"SELECT coalesce(c.libelle, 'Non classé') AS key, {measure} AS value FROM {source} AS s "
                 f"LEFT JOIN categories c ON s.{_quote(config.categories_field)} BETWEEN c.code_min AND c.code_max "
                 f"WHERE {where} GROUP BY 1 ORDER BY value DESC")
    else:
        query = f"SELECT {_quote(spec.by)} AS key, {measure} AS value FROM {source} WHERE {where} GROUP BY 1"
        query += " ORDER BY key" if spec.by == "FLX_ANN_MOI" else " ORDER BY value DESC"
    rows = con.execute(query).fetchall()
    con.close()
    if spec.top:
        rows = rows[:spec.top]
    labels = {}
    codelist = package.codelist_of(spec.by) if spec.by not in BY_SPECIAL else None
    if codelist:
        for code in codelist.codes:
            labels.setdefault(code.code, code.label)
    result = []
    for key, value in rows:
        if spec.by == "FLX_ANN_MOI":
            label = f"{str(key)[:4]}-{str(key)[4:]}"
        elif codelist:
            label = f"{labels.get(key, 'code hors liste')} ({key})"
        else:
            label = str(key)
        result.append({"key": key, "label": label, "value": float(value)})
    return result


def altair_chart(spec: ChartSpec, data: list[dict]) -> alt.Chart:
    values = [{"label": d["label"], "value": d["value"]} for d in data]
    base = alt.Chart(alt.Data(values=values)).properties(width=640, height=320 if spec.kind == "line" else 22 * len(values))
    euro_axis = alt.Axis(format="~s", title=f"{spec.measure} (€)")
    if spec.kind == "line":
        return base.mark_line(point=True, color="#0b4f8a").encode(
            x=alt.X("label:N", title="Mois de traitement", sort=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("value:Q", axis=euro_axis),
        ).properties(title=spec.title)
    return base.mark_bar(color="#0b4f8a").encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("value:Q", axis=euro_axis),
    ).properties(title=spec.title)


def render_svg(chart: alt.Chart) -> str:
    return vl_convert.vegalite_to_svg(chart.to_dict(), format_locale="fr-FR", time_format_locale="fr-FR")


def text_alternative(spec: ChartSpec, data: list[dict], euros) -> str:
    """What the chart shows, in words, from its data."""
    if not data:
        return f"{spec.title} : aucune donnée."
    total = sum(d["value"] for d in data)
    if spec.kind == "line":
        first, last = data[0], data[-1]
        trend = "en hausse" if last["value"] > first["value"] else "en baisse" if last["value"] < first["value"] else "stable"
        return (f"{spec.title}, de {first['label']} à {last['label']} ({len(data)} mois). "
                f"Dernière valeur : {euros(last['value'])} en {last['label']} ; "
                f"première : {euros(first['value'])}, soit une évolution {trend}.")
    top = data[0]
    share = 100 * top["value"] / total if total else 0
    return (f"{spec.title}. {len(data)} barres. La plus grande est « {top['label']} » avec {euros(top['value'])}, "
            f"soit {f'{share:.1f}'.replace('.', ',')} % du total affiché de {euros(total)}.")


def data_csv(spec: ChartSpec, data: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spec.by, "libelle", spec.measure])
    for d in data:
        writer.writerow([d["key"], d["label"], f"{d['value']:.2f}"])
    return out.getvalue()


def build_charts(package: DataPackage, config: ChartConfig, cubes: dict[str, Path], euros) -> list[dict]:
    """Each declared chart with its data, SVG, text alternative and CSV."""
    built = []
    for spec in config.charts:
        data = chart_data(package, config, spec, cubes) if cubes else []
        chart = altair_chart(spec, data)
        built.append({"spec": spec, "data": data, "svg": render_svg(chart) if data else "",
                      "alt": text_alternative(spec, data, euros), "csv": data_csv(spec, data),
                      "columns": sorted({spec.measure} | ({spec.by} if spec.by != "category" else {config.categories_field}))})
    return built
