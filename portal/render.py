"""Render the site's pages from templates (``templates/``), the package and the months.

Templates are Jinja2 with autoescaping: a label or a Markdown page containing HTML is
shown as text, never executed. Numbers, sizes and months are written the French way.
"""
from __future__ import annotations

import json
import re
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import escape

from portal.chart import interactive_bundle
from portal.convert import storage_type
from portal.package import DataPackage

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre"]
NARROW_NBSP = "\u202f"
TYPE_LABELS = {"integer": "entier", "number": "nombre décimal", "string": "texte"}


def nombre(value, decimals: int | None = None) -> str:
    """1234567.5 -> '1 234 567,5' (narrow no-break spaces, decimal comma)."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    text = f"{value:,.{decimals}f}".replace(",", NARROW_NBSP).replace(".", ",")
    return text


def octets(size: int) -> str:
    """117_700_000 -> '117,7 Mo' (decimal units, as file managers show)."""
    for unit, factor in (("Go", 1e9), ("Mo", 1e6), ("ko", 1e3)):
        if size >= factor:
            return f"{nombre(size / factor, 1)} {unit}"
    return f"{size} octets"


def mois(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS_FR[int(number) - 1]} {year}"


def pourcent(value: float) -> str:
    return f"{nombre(value, 1)} %"


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(nombre=nombre, octets=octets, mois=mois, pourcent=pourcent, slug=slug, euros=euros)
    return env


@dataclass
class DocPage:
    slug: str
    title: str
    body: str
    toc: list[tuple[int, str, str]]


def render_markdown(text: str) -> tuple[str, str, list[tuple[int, str, str]]]:
    """Markdown -> (title, HTML, table of contents). Raw HTML is escaped, headings get anchors."""
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    tokens = parser.parse(text)
    toc, title, used = [], "", set()
    captions = []  # tables get the title of their section as caption (accessibility)
    last_heading = ""
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            captions.append(index)
            token.meta["caption"] = last_heading
        if token.type == "heading_open":
            last_heading = tokens[index + 1].content
            inline = tokens[index + 1]
            heading = inline.content
            anchor = base = slug(heading) or "section"
            counter = 2
            while anchor in used:
                anchor, counter = f"{base}-{counter}", counter + 1
            used.add(anchor)
            token.attrSet("id", anchor)
            level = int(token.tag[1])
            if level == 1 and not title:
                title = heading
            elif level in (2, 3):
                toc.append((level, anchor, heading))
    for index in reversed(captions):
        caption = Token("html_block", "", 0)
        caption.content = f"<caption>{escape(tokens[index].meta['caption'] or 'Tableau')}</caption>\n"
        tokens.insert(index + 1, caption)
    html = parser.renderer.render(tokens, parser.options, {})
    return title, html, toc


def load_docs(package: DataPackage) -> list[DocPage]:
    pages = []
    for path in sorted(package.docs_dir.glob("*.md")):
        title, body, toc = render_markdown(path.read_text(encoding="utf-8"))
        pages.append(DocPage(re.sub(r"^\d+-", "", path.stem), title or path.stem, body, toc))
    return pages


class SiteRenderer:
    """Writes every page of the site into ``out``."""

    def __init__(self, out: Path, site: dict):
        self.out = Path(out)
        self.env = environment()
        self.site = site

    def page(self, relative: str, template: str, title: str, breadcrumbs=(), **context) -> None:
        depth = relative.count("/")
        root = "../" * depth
        html = self.env.get_template(template).render(site=self.site, root=root, page_title=title,
                                                       breadcrumbs=list(breadcrumbs), **context)
        target = self.out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")

    def assets(self) -> None:
        shutil.copytree(TEMPLATES / "assets", self.out / "assets", dirs_exist_ok=True)


def citation(package: DataPackage, latest_month: str | None) -> str:
    producer = package.descriptor.get("contributors", [{}])[0].get("title", "")
    title = package.descriptor.get("title", package.name)
    coverage = f", données jusqu'à {mois(latest_month)}" if latest_month else ""
    return f"{producer}, « {title} »{coverage}, Licence Ouverte 2.0."


def code_usage(months: list[dict]) -> dict[str, dict]:
    """For each coded column, each code seen: (first month, last month) it appears in."""
    usage: dict[str, dict] = {}
    for month in months:
        for column, codes in ((month.get("aggregates") or {}).get("codes") or {}).items():
            spans = usage.setdefault(column, {})
            for code, _rows, _amount in codes:
                first, _last = spans.get(code, (month["month"], None))
                spans[code] = (first, month["month"])
    return usage


def euros(value: float | None) -> str:
    """13_342_058_546.16 -> '13,34 Md€'; 1_234_567 -> '1,23 M€'; small amounts in full."""
    if value is None:
        return "–"
    for unit, factor in (("Md€", 1e9), ("M€", 1e6)):
        if abs(value) >= factor:
            return f"{nombre(value / factor, 2)} {unit}"
    return f"{nombre(value, 2)} €"


def bibtex(package: DataPackage, latest_month: str | None) -> str:
    producer = package.descriptor.get("contributors", [{}])[0].get("title", "")
    year = latest_month[:4] if latest_month else ""
    return (f"@misc{{{package.name.replace('-', '')}{year},\n"
            f"  author = {{{{{producer}}}}},\n"
            f"  title = {{{package.descriptor.get('title', package.name)}}},\n"
            f"  year = {{{year}}},\n"
            f"  note = {{Licence Ouverte 2.0, données jusqu'à {mois(latest_month) if latest_month else ''}}},\n"
            f"  howpublished = {{\\url{{{package.descriptor.get('homepage', '')}}}}}\n}}")


def render_package(renderer: SiteRenderer, package: DataPackage, months: list[dict], jsonld: dict | None = None,
                   charts: list[dict] = ()) -> None:
    """Dataset page, column pages, code list pages, validation reports, documentation."""
    base = f"donnees/{package.name}"
    latest = next((m for m in reversed(months) if m["valid"]), None)
    docs = load_docs(package)
    categories: dict[str, list] = {}
    for f in package.fields:
        categories.setdefault(f.category or "autres", []).append(f)
    codelists = sorted(package.codelists.values(), key=lambda c: c.variable)
    context = {
        "name": package.name, "title": package.title, "description": package.descriptor.get("description", ""),
        "sources": package.descriptor.get("sources", []), "licenses": package.descriptor.get("licenses", []),
        "months": months, "categories": list(categories.items()), "codelists": codelists, "docs": docs,
        "citation": citation(package, latest["month"] if latest else None),
        "bibtex": bibtex(package, latest["month"] if latest else None),
        "has_charts": (package.root / "charts.yaml").exists(),
    }
    crumb = (package.title, "../index.html")
    renderer.page(f"{base}/index.html", "dataset.html", package.title, [(package.title, None)], package=context,
                  jsonld=jsonld)
    usage = code_usage(months)
    amount_field = package.measures.main_amount
    for f in package.fields:
        codelist = package.codelist_of(f.name)
        profile = latest["profiles"].get(f.name) if latest else None
        top = []
        aggregates = (latest or {}).get("aggregates") or {}
        total_amount = (aggregates.get("totals") or {}).get(amount_field)
        if aggregates.get("codes", {}).get(f.name):
            labels = {}
            for c in codelist.codes:
                labels.setdefault(c.code, c.label)
            top = [(code, labels.get(code, "(hors liste)"), rows, amount)
                   for code, rows, amount in aggregates["codes"][f.name][:15]]
        versions = [v for v in package.extract.header_versions if f.name in v.columns]
        renderer.page(f"{base}/colonnes/{f.name}.html", "column.html", f"{f.name} – {f.title}",
                      [crumb, (f.name, None)], field=f, codelist=codelist, profile=profile, latest=latest,
                      top_codes=top, versions=versions, type_label=TYPE_LABELS[f.type],
                      storage=str(storage_type(package, f.name)), amount_field=amount_field,
                      total_amount=total_amount, charts=[c for c in charts if f.name in c["columns"]])
    for codelist in codelists:
        latest_codes = {code: (rows, amount) for code, rows, amount in
                        ((latest or {}).get("aggregates") or {}).get("codes", {}).get(codelist.variable, [])}
        seen = usage.get(codelist.variable, {})
        listed = {c.code for c in codelist.codes}
        unlisted = sorted(((code, span) for code, span in seen.items() if code not in listed), key=lambda kv: str(kv[0]))
        never = [c for c in codelist.codes if c.code not in seen]
        rows = [{"code": c.code, "label": c.label, "extra": c.extra,
                 "rows": latest_codes.get(c.code, (0, 0))[0], "amount": latest_codes.get(c.code, (0, 0))[1],
                 "first": seen.get(c.code, (None, None))[0], "last": seen.get(c.code, (None, None))[1]}
                for c in codelist.codes]
        renderer.page(f"{base}/codes/{codelist.variable}.html", "codelist.html", f"Codes {codelist.variable}",
                      [crumb, (f"Codes {codelist.variable}", None)], codelist=codelist, rows=rows,
                      latest=latest if codelist.variable in usage else None, unlisted=unlisted, never=never,
                      amount_field=amount_field, has_column=codelist.variable in {f.name for f in package.fields})
        shutil.copyfile(codelist.path, renderer.out / base / "codes" / f"{codelist.variable}.csv")
        (renderer.out / base / "codes" / f"{codelist.variable}.json").write_text(json.dumps({
            "variable": codelist.variable, "title": codelist.title, "description": codelist.description,
            "official": codelist.official,
            "codes": [{"code": c.code, "libelle": c.label, codelist.extra_column: c.extra} for c in codelist.codes],
        }, ensure_ascii=False, indent=1), encoding="utf-8")
    for month in months:
        renderer.page(f"{base}/validation/{month['month']}.html", "validation.html",
                      f"Validation {mois(month['month'])}", [crumb, (f"Validation {mois(month['month'])}", None)],
                      task=month["report"]["tasks"][0], month=month, json_href=f"../{month['month']}/validation.json",
                      codes_href="../codes/")
    for doc in docs:
        renderer.page(f"{base}/documentation/{doc.slug}.html", "page.html", doc.title, [crumb, (doc.title, None)],
                      body=doc.body, toc=doc.toc)


def render_validation_pages(out: Path, package: DataPackage, results: list) -> list[Path]:
    """Standalone report pages (``build.py validate --html DIR``), each beside its JSON."""
    site = {"title": f"Validation {package.title}", "description": package.short_description,
            "sources": package.descriptor.get("sources", []), "licenses": package.descriptor.get("licenses", []),
            "packages": []}
    renderer = SiteRenderer(out, site)
    renderer.assets()
    pages = []
    for result in results:
        stem = result.path.name.split(".")[0]
        (out / f"{stem}.json").write_text(json.dumps(result.report, ensure_ascii=False, indent=2), encoding="utf-8")
        month = {"month": result.month, "valid": result.valid, "warnings": result.report["stats"]["warnings"]}
        renderer.page(f"{stem}.html", "validation.html", f"Validation {result.path.name}", [],
                      task=result.report["tasks"][0], month=month, json_href=f"{stem}.json", codes_href=None)
        pages.append(out / f"{stem}.html")
    return pages


def render_charts(renderer: SiteRenderer, package: DataPackage, charts: list[dict]) -> None:
    """A page per chart (SVG in a figure, text alternative, data table, downloads) and an index."""
    base = f"donnees/{package.name}/graphiques"
    crumb = (package.title, "../index.html")
    folder = renderer.out / base
    folder.mkdir(parents=True, exist_ok=True)
    for chart in charts:
        spec = chart["spec"]
        (folder / f"{spec.id}.svg").write_text(chart["svg"], encoding="utf-8")
        (folder / f"{spec.id}.png").write_bytes(chart["png"])
        (folder / f"{spec.id}.vl.json").write_text(json.dumps(chart["vega"], ensure_ascii=False), encoding="utf-8")
        (folder / f"{spec.id}.csv").write_text(chart["csv"], encoding="utf-8")
        renderer.page(f"{base}/{spec.id}.html", "chart.html", spec.title, [crumb, ("Graphiques", "index.html"),
                      (spec.title, None)], chart=chart, spec=spec)
    renderer.page(f"{base}/index.html", "charts.html", "Graphiques", [crumb, ("Graphiques", None)], charts=charts)
    bundle = renderer.out / "assets" / "graphiques.js"
    if not bundle.exists():
        bundle.write_text(interactive_bundle(), encoding="utf-8")


def render_changes(renderer: SiteRenderer, package: DataPackage, changes: dict[str, dict]) -> None:
    """A page per release: what changed against the previous month and a year before."""
    crumb = (package.title, "../index.html")
    for month, change in changes.items():
        renderer.page(f"donnees/{package.name}/changements/{month}.html", "release.html",
                      f"Changements {mois(month)}", [crumb, (f"Changements {mois(month)}", None)], change=change)
