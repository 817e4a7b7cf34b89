"""Charts declared as data (``charts.yaml``), computed from the monthly cubes and rendered
at build time to static SVG and PNG (Altair + vl-convert, French number and date formats),
each with a text alternative generated from its data and the data itself as a table and
CSV. The same Vega-Lite spec, served with the Vega bundle of vl-convert, gives the
interactive version (tooltips) as a progressive enhancement.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import altair as alt
import duckdb
import vl_convert
import yaml

from portal.errors import PackageError
from portal.package import DataPackage

PROCESSING_MONTH = "FLX_ANN_MOI"
SPECIAL_BY = {PROCESSING_MONTH, "category", "care_month"}
KINDS = {"line", "bar", "share", "care"}
COLOURS = ["#0b4f8a", "#b34700"]  # both pass 4.5:1 on white; series are also told apart by labels
UNKNOWN_CARE = "inconnu"


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
    facet: str | None = None  # a second dimension: one panel per value (no colour needed)
    shares: list = field(default_factory=list)  # kind share: [{label, filters}]


@dataclass
class ChartConfig:
    dimensions: list[str]
    measures: list[str]
    categories_field: str | None
    categories_path: Path | None
    care_year: str | None
    care_month: str | None
    charts: list[ChartSpec]


def load_charts(package: DataPackage) -> ChartConfig | None:
    path = package.root / "charts.yaml"
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(data) - {"cube", "categories", "care_period", "charts"})
    if unknown:
        raise PackageError(f"{path}: clé(s) inconnue(s) {', '.join(unknown)}")
    names = {f.name for f in package.fields}
    cube = data.get("cube") or {}
    dimensions, measures = list(cube.get("dimensions", [])), list(cube.get("measures", []))
    for name in dimensions + measures:
        if name not in names:
            raise PackageError(f"{path}: cube : colonne « {name} » absente du schéma")
    categories = data.get("categories") or {}
    care = data.get("care_period") or {}
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
        for dimension in [spec.by, spec.facet] + [k for s in spec.shares for k in s.get("filters", {})] + list(spec.filters):
            if dimension and dimension not in SPECIAL_BY and dimension not in dimensions:
                raise PackageError(f"{where}: « {dimension} » n'est pas une dimension du cube")
        if spec.measure not in measures:
            raise PackageError(f"{where}: measure « {spec.measure} » n'est pas une mesure du cube")
        charts.append(spec)
    return ChartConfig(dimensions, measures, categories.get("field"),
                       package.root / categories["path"] if categories.get("path") else None,
                       care.get("year_field"), care.get("month_field"), charts)


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


# -- data ------------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _where(filters: dict) -> str:
    return " AND ".join(f"{_quote(k)} = {int(v)}" for k, v in (filters or {}).items()) or "TRUE"


def _month_label(yyyymm) -> str:
    text = str(yyyymm)
    return f"{text[:4]}-{text[4:]}"


class ChartData:
    """Queries over the cubes of the published months (small files: DuckDB reads them in ms)."""

    def __init__(self, package: DataPackage, config: ChartConfig, cubes: dict[str, Path]):
        self.package, self.config, self.months = package, config, sorted(cubes)
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        files = ", ".join(f"'{cubes[m].as_posix()}'" for m in self.months)
        self.con.execute(f"CREATE VIEW cube AS SELECT * FROM read_parquet([{files}], union_by_name=true)")
        if config.categories_path:
            self.con.execute(f"CREATE TABLE categories AS SELECT * FROM read_csv('{config.categories_path.as_posix()}', "
                             "header=true, all_varchar=true)")

    def labels(self, column: str) -> dict:
        codelist = self.package.codelist_of(column)
        labels = {}
        for code in codelist.codes if codelist else ():
            labels.setdefault(code.code, code.label)
        return labels

    def rows(self, spec: ChartSpec) -> list[dict]:
        if spec.kind == "share":
            return self._shares(spec)
        if spec.kind == "care":
            return self._care(spec)
        where = _where(spec.filters)
        if spec.latest_month_only:
            where += f" AND {_quote(PROCESSING_MONTH)} = {int(self.months[-1].replace('-', ''))}"
        key = self._key_sql(spec.by)
        facet = f", {_quote(spec.facet)}" if spec.facet else ", NULL"
        query = (f"SELECT {key} AS key{facet} AS facet, sum({_quote(spec.measure)}) AS value FROM cube AS s "
                 f"{self._join(spec.by)} WHERE {where} GROUP BY 1, 2")
        order = "key, facet" if spec.by == PROCESSING_MONTH else "value DESC, key, facet"  # ties: a stable order
        records = self.con.execute(f"{query} ORDER BY {order}").fetchall()
        if spec.top:
            records = records[:spec.top]
        by_labels = self.labels(spec.by) if spec.by not in SPECIAL_BY else {}
        facet_labels = self.labels(spec.facet) if spec.facet else {}
        result = []
        for key, facet_value, value in records:
            if spec.by == PROCESSING_MONTH:
                label = _month_label(key)
            elif by_labels:
                label = f"{by_labels.get(key, 'code hors liste')} ({key})"
            else:
                label = str(key)
            row = {"key": key, "label": label, "value": float(value)}
            if spec.facet:
                row["facet"] = facet_labels.get(facet_value, str(facet_value))
            result.append(row)
        return result

    def category_coverage(self, spec: ChartSpec) -> float:
        """Share of the measure in codes that the grouping file puts in a category."""
        where = _where(spec.filters)
        if spec.latest_month_only:
            where += f" AND {_quote(PROCESSING_MONTH)} = {int(self.months[-1].replace('-', ''))}"
        classified, total = self.con.execute(
            f"SELECT sum(CASE WHEN c.categorie IS NOT NULL AND c.categorie <> 'non-classe' "
            f"THEN {_quote(spec.measure)} ELSE 0 END), sum({_quote(spec.measure)}) FROM cube AS s "
            f"{self._join('category')} WHERE {where}").fetchone()
        return float(100 * classified / total) if total else 100.0

    def _key_sql(self, by: str) -> str:
        return "coalesce(c.libelle, 'Non classé')" if by == "category" else f"s.{_quote(by)}"

    def _join(self, by: str) -> str:
        if by != "category":
            return ""
        return (f"LEFT JOIN categories c ON s.{_quote(self.config.categories_field)} "
                "BETWEEN CAST(c.code_min AS INTEGER) AND CAST(c.code_max AS INTEGER)")

    def _shares(self, spec: ChartSpec) -> list[dict]:
        """Share of the measure within each declared perimeter, per processing month."""
        result = []
        totals = dict(self.con.execute(f"SELECT {_quote(PROCESSING_MONTH)}, sum({_quote(spec.measure)}) FROM cube "
                                       f"WHERE {_where(spec.filters)} GROUP BY 1").fetchall())
        for share in spec.shares:
            columns = list(share.get("filters", {}))
            counts = ", ".join(f"count({_quote(c)})" for c in columns) or "1"
            present = {month for month, *seen in self.con.execute(
                f"SELECT {_quote(PROCESSING_MONTH)}, {counts} FROM cube GROUP BY 1").fetchall()
                if all(seen)}  # months whose header has the filter columns
            part = dict(self.con.execute(
                f"SELECT {_quote(PROCESSING_MONTH)}, sum({_quote(spec.measure)}) FROM cube "
                f"WHERE {_where({**spec.filters, **share.get('filters', {})})} GROUP BY 1").fetchall())
            for month in sorted(m for m in totals if m in present):
                total = totals[month] or 0
                value = part.get(month) or 0
                result.append({"key": month, "label": _month_label(month), "facet": share["label"],
                               "value": float(100 * value / total) if total else 0.0, "amount": float(value)})
        return result

    def _care(self, spec: ChartSpec) -> list[dict]:
        """Measure by care month, with how much of each is known: a care month keeps
        receiving amounts for months after it; placeholders '0000'/'00' stay 'inconnu'."""
        records = self._care_records(spec)
        first_processed = _month_label(min(r[1] for r in records)) if records else None
        last_processed = self.months[-1]
        by_care: dict[str, Decimal] = {}  # exact sums: the same bytes whatever the order of rows
        for care, _processed, value in records:
            key = care if _is_month(care) else UNKNOWN_CARE
            by_care[key] = by_care.get(key, Decimal(0)) + value
        result = []
        earlier = [k for k in by_care if k != UNKNOWN_CARE and k < first_processed]
        if earlier:  # care before the first published month: one bar, so totals still add up
            result.append({"key": "avant", "label": f"avant {first_processed}", "lag": None, "facet": "mois de soins",
                           "value": float(sum(by_care[k] for k in earlier))})
        for care in sorted(k for k in by_care if k != UNKNOWN_CARE and k >= first_processed):
            lag = _months_between(care, last_processed)
            result.append({"key": care, "label": care, "value": float(by_care[care]), "lag": lag,
                           "facet": "récent, incomplet" if lag < 3 else "mois de soins"})
        if UNKNOWN_CARE in by_care:
            result.append({"key": UNKNOWN_CARE, "label": "date de soins inconnue", "value": float(by_care[UNKNOWN_CARE]),
                           "lag": None, "facet": "inconnu"})
        return result

    def completeness(self, spec: ChartSpec, lags=(0, 1, 3)) -> list[tuple[int, float]]:
        """Share of a care month's amount known after k processing months, for the care
        months with at least 6 months of processing after them (or all, with a warning)."""
        records = self._care_records(spec)
        first, last = self.months[0], self.months[-1]
        per_care: dict[str, list] = {}
        for care, processed, value in records:
            if _is_month(care) and first <= care and _months_between(care, last) >= 6:
                per_care.setdefault(care, []).append((_months_between(care, _month_label(processed)), value))
        result = []
        for lag in lags:
            known = sum(v for items in per_care.values() for d, v in items if d <= lag)
            total = sum(v for items in per_care.values() for _d, v in items)
            result.append((lag, float(100 * known / total) if total else 0.0))
        return result

    def _care_records(self, spec: ChartSpec) -> list[tuple]:
        year, month = _quote(self.config.care_year), _quote(self.config.care_month)
        return self.con.execute(
            f"SELECT {year} || '-' || {month} AS care, {_quote(PROCESSING_MONTH)} AS processed, "
            f"sum({_quote(spec.measure)}) FROM cube WHERE {_where(spec.filters)} GROUP BY 1, 2 ORDER BY 1, 2").fetchall()


def _is_month(text: str) -> bool:
    return len(text) == 7 and text[:4].isdigit() and text[5:].isdigit() and text[:4] not in ("0000", "0001") \
        and 1 <= int(text[5:]) <= 12


def _months_between(start: str, end: str) -> int:
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:]) - int(start[5:])


# -- drawing ---------------------------------------------------------------------------------------


def _euro_unit(data: list[dict]) -> tuple[float, str]:
    peak = max((abs(d["value"]) for d in data), default=0)
    return (1e9, "Md€") if peak >= 1e9 else (1e6, "M€") if peak >= 1e6 else (1e3, "k€") if peak >= 1e4 else (1, "€")


def altair_chart(spec: ChartSpec, data: list[dict]) -> alt.Chart:
    """The Vega-Lite chart: French axes (janv. 2025, 1,2 M€), tooltips for the interactive view."""
    percent = spec.kind == "share"
    factor, unit = (1, "%") if percent else _euro_unit(data)
    values = [{**d, "scaled": d["value"] / factor, "date": f"{d['label']}-01" if len(str(d["label"])) == 7
               and str(d["label"])[4] == "-" else None} for d in data]
    value_title = f"{'Part de ' if percent else ''}{spec.measure} ({unit})"
    y_value = alt.Y("scaled:Q", title=value_title, axis=alt.Axis(format=",.1f" if factor != 1 else ",.0f"))
    tooltip = [alt.Tooltip("label:N", title="Valeur"), alt.Tooltip("scaled:Q", title=value_title, format=",.2f")]
    base = alt.Chart(alt.Data(values=values)).properties(title=spec.title)
    if spec.kind in ("line", "share"):
        x = alt.X("date:T", title="Mois de traitement", axis=alt.Axis(format="%b %Y", labelAngle=-45))
        if spec.kind == "share":
            tooltip.insert(1, alt.Tooltip("facet:N", title="Périmètre"))
            return base.mark_line(point=True).encode(
                x=x, y=y_value, tooltip=tooltip,
                color=alt.Color("facet:N", title="Périmètre", scale=alt.Scale(range=COLOURS)),
                strokeDash=alt.StrokeDash("facet:N", title="Périmètre"),  # not colour alone
            ).properties(width=640, height=300)
        return base.mark_line(point=True, color=COLOURS[0]).encode(x=x, y=y_value, tooltip=tooltip).properties(
            width=640, height=300)
    if spec.kind == "care":
        return base.mark_bar().encode(
            x=alt.X("label:N", title="Mois de soins", sort=None, axis=alt.Axis(labelAngle=-45)),
            y=y_value, tooltip=tooltip + [alt.Tooltip("facet:N", title="État")],
            color=alt.Color("facet:N", title="État", scale=alt.Scale(
                domain=["mois de soins", "récent, incomplet", "inconnu"], range=[COLOURS[0], "#6b8fb3", "#555555"])),
        ).properties(width=640, height=300)
    bars = base.mark_bar(color=COLOURS[0]).encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("scaled:Q", title=value_title, axis=alt.Axis(format=",.1f" if factor != 1 else ",.0f")),
        tooltip=tooltip,
    )
    if spec.facet:
        return bars.properties(width=300, height=22 * len({d["label"] for d in data})).facet(
            column=alt.Column("facet:N", title=None)).properties(title=spec.title)
    return bars.properties(width=640, height=22 * len(values))


def render_images(chart: alt.Chart) -> tuple[str, bytes, dict]:
    spec = chart.to_dict()
    options = {"format_locale": "fr-FR", "time_format_locale": "fr-FR"}
    return vl_convert.vegalite_to_svg(spec, **options), vl_convert.vegalite_to_png(spec, scale=2, **options), spec


def text_alternative(spec: ChartSpec, data: list[dict], euros, extra: str = "") -> str:
    """What the chart shows, in words, from its data: latest value, trend, largest part."""
    if not data:
        return f"{spec.title} : aucune donnée."
    if spec.kind == "share":
        latest = [d for d in data if d["key"] == data[-1]["key"]]
        parts = " ; ".join(f"{d['facet']} : {d['value']:.1f} %".replace(".", ",") for d in latest)
        return f"{spec.title}. En {data[-1]['label']} : {parts}.{extra}"
    if spec.kind in ("line", "care"):
        dated = [d for d in data if d.get("lag", 0) is not None] or data
        first, last = dated[0], dated[-1]
        trend = "en hausse" if last["value"] > first["value"] else "en baisse" if last["value"] < first["value"] else "stable"
        return (f"{spec.title}, de {first['label']} à {last['label']} ({len(dated)} mois). "
                f"Dernière valeur : {euros(last['value'])} ({last['label']}) ; première : {euros(first['value'])} ; "
                f"évolution {trend}.{extra}")
    total = sum(d["value"] for d in data)
    top = max(data, key=lambda d: d["value"])
    share = f"{100 * top['value'] / total:.1f}".replace(".", ",") if total else "0"
    return (f"{spec.title}. {len(data)} barres. La plus grande : « {top['label']}"
            f"{' – ' + top['facet'] if top.get('facet') else ''} », {euros(top['value'])}, "
            f"soit {share} % du total affiché ({euros(total)}).{extra}")


def data_csv(spec: ChartSpec, data: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    facet = any("facet" in d for d in data)
    unit = "part_pct" if spec.kind == "share" else spec.measure
    writer.writerow([spec.by, "libelle"] + (["serie"] if facet else []) + [unit])
    for d in data:
        writer.writerow([d["key"], d["label"]] + ([d.get("facet", "")] if facet else []) + [f"{d['value']:.2f}"])
    return out.getvalue()


def year_on_year(data: list[dict]) -> str:
    """Change of the latest processing month against the same month a year before."""
    by_key = {str(d["label"]): d["value"] for d in data}
    latest = data[-1]["label"]
    before = f"{int(latest[:4]) - 1}{latest[4:]}"
    if before not in by_key or not by_key[before]:
        return ""
    change = 100 * (by_key[latest] - by_key[before]) / abs(by_key[before])
    return f" Sur un an ({before} → {latest}) : {f'{change:+.1f}'.replace('.', ',')} %."


def build_charts(package: DataPackage, config: ChartConfig, cubes: dict[str, Path], euros) -> list[dict]:
    """Each declared chart with its data, images, Vega-Lite spec, text alternative and CSV."""
    source = ChartData(package, config, cubes) if cubes else None
    built = []
    for spec in config.charts:
        data = source.rows(spec) if source else []
        extra, notes = "", []
        if spec.kind == "line" and data:
            extra = year_on_year(data)
        if spec.by == "category" and source:
            coverage = source.category_coverage(spec)
            notes = [f"Couverture du regroupement : {f'{coverage:.2f}'.replace('.', ',')} % du montant est dans une "
                     "catégorie ; le reste (codes sans catégorie) est montré comme « Non classé »."]
        if spec.kind == "care" and source:
            known = source.completeness(spec)
            notes = [f"Après {lag} mois de traitement, {f'{share:.1f}'.replace('.', ',')} % du montant d'un mois de soins est connu."
                     for lag, share in known]
            extra = " Les trois derniers mois de soins sont incomplets (plus clairs)."
        chart = altair_chart(spec, data)
        svg, png, vega = render_images(chart) if data else ("", b"", {})
        columns = {spec.measure} | ({spec.by} if spec.by not in SPECIAL_BY else set()) | ({spec.facet} if spec.facet else set())
        if spec.by == "category":
            columns.add(config.categories_field)
        if spec.by == "care_month":
            columns |= {config.care_year, config.care_month}
        for share in spec.shares:
            columns |= set(share.get("filters", {}))
        built.append({"spec": spec, "data": data, "svg": svg, "png": png, "vega": vega,
                      "alt": text_alternative(spec, data, euros, extra), "notes": notes,
                      "csv": data_csv(spec, data), "columns": sorted(c for c in columns if c)})
    return built


def interactive_bundle() -> str:
    """The Vega libraries (shipped inside vl-convert, no CDN) with our embedding snippet."""
    import json
    snippet = (Path(__file__).resolve().parent / "assets" / "graphiques.snippet.js").read_text(encoding="utf-8")
    snippet = snippet.replace("TIME_FORMAT_LOCALE", json.dumps(vl_convert.get_time_format_locale("fr-FR")))
    snippet = snippet.replace("= FORMAT_LOCALE", "= " + json.dumps(vl_convert.get_format_locale("fr-FR")))
    return vl_convert.javascript_bundle(snippet)
