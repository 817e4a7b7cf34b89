#!/usr/bin/env python3
"""Build the static open-data portal: ``python build.py`` (see ``--help``).

The data flows one way; each stage is one module of ``portal/``:

    read -> validate -> convert -> aggregate -> protect -> chart -> render -> publish

Commands:
    build     (default) every package under datapackages/ into site/
    validate  check extract files against a package, print or write the report
    sample    write synthetic monthly extracts in the producer's exact format
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

from portal import __version__
from portal import cache
from portal.aggregate import month_aggregates, write_month_cube
from portal.changes import atom_feed, release_changes
from portal.chart import build_charts, load_charts
from portal.convert import (
    ParquetSink, PublishedFile, describe, metadata_for, republish_csv, storage_type,
)
from portal.errors import InvalidData, PortalError, ReleaseConflict
from portal.package import DataPackage, discover_packages, load_package, published_dialect, published_schema
from portal.config import SiteConfig, load_site_config
from portal.publish import (
    index_for_search, link_or_copy, schema_org_dataset, staged_site, write_catalog, write_json, write_redirects, write_sitemap,
)
from portal.render import (
    SiteRenderer, euros, render_changes, render_charts, render_package, render_validation_pages,
)
from portal.sample import parse_months, write_sample
from portal.validate import ColumnProfile, merge_reports, validate_extract

ROOT = Path(__file__).resolve().parent
DEFAULT_PACKAGES = ROOT / "datapackages"
DEFAULT_SITE = ROOT / "site"
DEFAULT_CACHE = ROOT / ".cache"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- stages 1-3: read, validate, convert (one pass per month) ------------------------------


def process_month(package: DataPackage, path: Path, store: Path, fingerprint: str | None = None,
                  verify_checksums: bool = False) -> dict:
    """Stages 1-4 for one monthly file: read, validate, convert, aggregate.

    The result is kept under the sha256 of the file and of everything that decides it
    (``portal.cache``): an unchanged month is not read again."""
    month = package.extract.month_of(path.name)
    month_dir = store / month
    month_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = fingerprint or cache.package_fingerprint(package)
    # A file never seen (no remembered hash) cannot be in the cache: it is hashed by the
    # validation pass itself rather than read twice.
    digest = cache.file_sha256(path) if verify_checksums else cache.known_sha256(path, month_dir)
    if digest is not None:
        stored = cache.load(month_dir, cache.key_for(digest, fingerprint))
        if stored is not None:
            log(f"  {month} : inchangé, repris du cache")
            return _record_from_json(stored, month_dir)
    started = time.perf_counter()
    record = validate_and_convert(package, path, month_dir)
    cache.remember_sha256(path, month_dir, record["source_sha256"])
    key = cache.key_for(record["source_sha256"], fingerprint)
    if record["valid"]:
        aggregate_month(package, record, month_dir)
        seconds = time.perf_counter() - started
        redraw = "\r" if sys.stderr.isatty() else ""  # over the progress line, on a terminal
        log(f"{redraw}  {month} : {grouped(record['rows'])} lignes valides en {seconds:.1f} s "
            f"({grouped(record['rows'] / max(seconds, 1e-9))} lignes/s)")
        cache.save(month_dir, key, _record_to_json(record))
    return record


def validate_and_convert(package: DataPackage, path: Path, month_dir: Path) -> dict:
    """One pass over the file: every row validated while its Parquet is written; if the
    month is valid, the Parquet is kept and the CSV.gz republished, otherwise nothing is."""
    month = package.extract.month_of(path.name)
    stem = path.name.split(".")[0]
    sinks: list[ParquetSink] = []

    def new_sink():
        # The columns are known only once the header is matched: build the sink lazily.
        state = {}

        def consume(batch):
            if "sink" not in state:
                state["sink"] = ParquetSink(package, batch.schema.names, month_dir / f"{stem}.parquet",
                                            metadata_for(package, path.name))
                sinks.append(state["sink"])
            state["sink"](batch)
        return consume

    def discard():
        while sinks:
            sinks.pop().discard()

    try:
        result = validate_extract(package, path, sink_factory=new_sink, on_restart=discard,
                                  storage=lambda name: storage_type(package, name), progress=progress_line(month))
    except BaseException:
        discard()
        raise
    write_json(month_dir / "validation.json", result.report)
    record = {"month": month, "source": path.name, "source_sha256": result.sha256, "valid": result.valid,
              "rows": result.rows, "header_version": result.header_version,
              "columns": list(result.header.version.columns) if result.header and result.header.version else [],
              "warnings": result.report["stats"]["warnings"], "report": result.report,
              "profiles": result.profiles, "files": []}
    if not result.valid:
        discard()
        return record
    parquet = sinks[-1].commit() if sinks else None
    csv_path, csv_sha = republish_csv(path, month_dir / package.extract.file_name.format(
        year=month[:4], month=month[5:]), result.sha256, compressed=path.name.endswith(".gz"))
    record["files"] = [describe(csv_path, "csv", result.rows, csv_sha)]
    if parquet:
        record["files"].append(describe(parquet, "parquet", result.rows, sinks[-1].sha256))
    return record


def aggregate_month(package: DataPackage, record: dict, month_dir: Path) -> None:
    """Stage 4, from the Parquet (never the CSV again): totals and usage of every code, and
    the month's cube for the charts, all in exact decimals."""
    parquet = next((f.path for f in record["files"] if f.format == "parquet"), None)
    if parquet is None:
        return
    record["aggregates"] = month_aggregates(package, parquet, record["columns"])
    charts = load_charts(package)
    if charts:
        cube = write_month_cube(package, parquet, record["columns"], charts.dimensions, charts.measures,
                                month_dir / f"cube-{parquet.stem}.parquet")
        record["cube"] = describe(cube, "parquet", pq_rows(cube))
        record["cube_csv"] = describe(cube.with_suffix(".csv"), "csv", record["cube"].rows)


def _record_to_json(record: dict) -> dict:
    data = {**record, "profiles": {name: p.to_json() for name, p in record["profiles"].items()},
            "files": [{**f.to_json(), "sha256": f.sha256} for f in record["files"]]}
    for key in ("cube", "cube_csv"):
        if record.get(key):
            data[key] = {**record[key].to_json(), "sha256": record[key].sha256}
    return data


def _record_from_json(data: dict, month_dir: Path) -> dict:
    def published(f):
        return PublishedFile(month_dir / f["name"], f["format"], f["mediatype"], f["bytes"], f["sha256"], f["rows"],
                             f["compression"])
    profiles = {name: ColumnProfile.from_json(p) for name, p in data["profiles"].items()}
    record = {**{k: v for k, v in data.items() if k != "key"}, "profiles": profiles,
              "files": [published(f) for f in data["files"]]}
    for key in ("cube", "cube_csv"):
        if data.get(key):
            record[key] = published(data[key])
    return record


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq
    return pq.ParquetFile(path).metadata.num_rows


def progress_line(label: str):
    """Rows read so far and the rate, redrawn on one line every 2 s: on a terminal only,
    so logs (CI) get the one summary line per month."""
    if not sys.stderr.isatty():
        return None
    started = time.perf_counter()
    state = {"shown": started}

    def show(rows: int) -> None:
        now = time.perf_counter()
        if now - state["shown"] >= 2:
            state["shown"] = now
            sys.stderr.write(f"\r  {label} : {grouped(rows)} lignes ({grouped(rows / (now - started))} lignes/s)…")
            sys.stderr.flush()
    return show


def grouped(number: float) -> str:
    return f"{number:,.0f}".replace(",", "\u202f")


def extract_files(package: DataPackage, data_dir: Path | None) -> list[Path]:
    """The package's monthly files, in month order; the embedded sample by default."""
    folder = data_dir or (package.root / package.sample.embedded.out if package.sample else package.root / "data")
    files = [p for p in Path(folder).iterdir() if package.extract.month_of(p.name)] if Path(folder).is_dir() else []
    by_month: dict[str, Path] = {}
    for path in sorted(files):
        month = package.extract.month_of(path.name)
        if month in by_month:
            raise PortalError(f"{folder} : deux fichiers pour le mois {month} ({by_month[month].name}, {path.name})")
        by_month[month] = path
    return [by_month[m] for m in sorted(by_month)]


# -- stages 7-8: render, publish ----------------------------------------------------------------


def publish_package(package: DataPackage, months: list[dict], out: Path, config: SiteConfig,
                    previous_site: Path | None = None) -> None:
    """Downloads at stable URLs, and a datapackage.json describing every file.

    A file larger than the configured limit is not copied into the site: it is linked
    from the file host's base URL, under the same path, with the same metadata."""
    base = out / "donnees" / package.name
    resources = []
    carry_history(package, months, previous_site, out)
    for month in months:
        month["downloads"] = []
        for file in month["files"]:
            relative = f"donnees/{package.name}/{month['month']}/{file.path.name}"
            hosted_elsewhere = file.bytes > config.max_file_bytes and config.files_base_url
            if hosted_elsewhere:
                url = config.files_base_url.rstrip("/") + "/" + relative
                href, url_path = url, url
            else:
                link_or_copy(file.path, out / relative)
                url, href, url_path = config.absolute(relative), f"{month['month']}/{file.path.name}", "/" + relative
            month["downloads"].append({**file.to_json(), "sha256": file.sha256, "href": href, "url": url,
                                       "url_path": url_path, "external": bool(hosted_elsewhere)})
        write_json(base / month["month"] / "validation.json", without_timings(month["report"]))
        version = package.header_version(month["header_version"]) if month["header_version"] else None
        for download in month["downloads"]:
            path = download["url"] if download["external"] else download["href"]
            resource = {"name": f"extrait-{month['month']}-{download['format']}", "title": f"Extrait mensuel {month['month']}",
                        "path": path, "bytes": download["bytes"], "hash": f"sha256:{download['sha256']}"}
            if download["format"] == "csv":
                resources.append({**resource, "type": "table", "scheme": "file" if not download["external"] else "https",
                                  "format": "csv", "mediatype": "text/csv", "compression": "gz", "encoding": "utf-8",
                                  "dialect": published_dialect(package), "schema": published_schema(package, version)})
            else:  # described, not re-validated: the same rows as the CSV beside it
                resources.append({**resource, "type": "file", "format": "parquet",
                                  "mediatype": "application/vnd.apache.parquet"})
        if month.get("cube") and month.get("cube_csv"):
            resources.append(publish_cube(package, month, out))
    for codelist in package.codelists.values():
        descriptor = next(r for r in package.descriptor["resources"] if r["name"] == codelist.name)
        resources.append({**descriptor, "path": f"codes/{codelist.variable}.csv"})
    descriptor = {k: v for k, v in package.descriptor.items() if k != "resources"}
    write_json(base / "datapackage.json", {**descriptor, "resources": resources})
    write_json(base / "releases.json", releases_document(package, months))
    valid = [m for m in months if m["valid"]]
    if valid:
        write_json(base / "latest.json", {"month": valid[-1]["month"], "files": [
            {k: v for k, v in d.items() if k not in ("href", "url_path", "external")} for d in valid[-1]["downloads"]]})


def carry_history(package: DataPackage, months: list[dict], previous_site: Path | None, out: Path) -> None:
    """Releases are immutable: the files of every replaced version of a month stay published
    under ``<mois>/v<N>/``, carried over from the last good site; a month corrected in this
    build moves its previous files there."""
    if previous_site is None:
        return
    for month in months:
        before_dir = previous_site / "donnees" / package.name / month["month"]
        target_dir = out / "donnees" / package.name / month["month"]
        for version_dir in sorted(before_dir.glob("v[0-9]*")):
            shutil.copytree(version_dir, target_dir / version_dir.name, copy_function=_link_or_copy_file)
        replaced = month.pop("replaces", None)
        if replaced and before_dir.is_dir():
            version_dir = target_dir / f"v{replaced.get('version', 1)}"
            for path in sorted(before_dir.iterdir()):
                if path.is_file():
                    link_or_copy(path, version_dir / path.name)
            month["previous_versions"] = month.get("previous_versions", []) + [{
                **{k: v for k, v in replaced.items() if k not in ("files", "previous_versions")},
                "files": [{**f, "path": f"{version_dir.name}/{f['name']}"} for f in replaced.get("files", [])],
            }]


def _link_or_copy_file(source, target):
    link_or_copy(Path(source), Path(target))
    return target


def publish_cube(package: DataPackage, month: dict, out: Path) -> dict:
    """The month's cube as Parquet and CSV (both made once, with the month), with its own
    Table Schema: the light download."""
    import pyarrow.parquet as pq
    base = out / "donnees" / package.name
    cube, cube_csv = month["cube"], month["cube_csv"]
    relative, csv_relative = f"{month['month']}/{cube.path.name}", f"{month['month']}/{cube_csv.path.name}"
    link_or_copy(cube.path, base / relative)
    link_or_copy(cube_csv.path, base / csv_relative)
    names = {f.name: f for f in package.fields}
    fields = []
    for column in pq.read_schema(cube.path):
        source = names.get(column.name)
        if column.name == "lignes":
            fields.append({"name": "lignes", "title": "Nombre de lignes du fichier source", "type": "integer"})
        elif source is not None and source.type == "number":
            fields.append({"name": column.name, "title": f"Somme de {column.name} (euros, au centime)", "type": "number"})
        elif source is not None:
            fields.append({"name": column.name, "title": source.title, "type": source.type})
    month["cube_downloads"] = [
        {"format": "parquet", "href": relative, "bytes": cube.bytes},
        {"format": "csv", "href": csv_relative, "bytes": cube_csv.bytes},
    ]
    return {"name": f"cube-{month['month']}", "title": f"Cube mensuel {month['month']} (agrégat compact)",
            "description": "Montants préfiltrés sommés par mois de traitement et par dimension principale.",
            "path": csv_relative, "type": "table", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "bytes": cube_csv.bytes, "hash": f"sha256:{cube_csv.sha256}", "schema": {"fields": fields}}


def without_timings(report: dict) -> dict:
    """The report as published: same content, no durations (two builds give the same bytes)."""
    copy = json.loads(json.dumps(report))
    for stats in [copy["stats"]] + [task["stats"] for task in copy["tasks"]]:
        stats.pop("seconds", None)
    return copy


def releases_document(package: DataPackage, months: list[dict]) -> dict:
    """Machine-readable list of published months: what a mirror or a CI job compares."""
    return {
        "package": package.name,
        "latest": months[-1]["month"] if months else None,
        "releases": [{
            "month": m["month"], "version": m.get("version", 1), "reason": m.get("reason", "scheduled"),
            "source": m["source"], "source_sha256": m["source_sha256"], "rows": m["rows"],
            "header_version": m["header_version"], "published": m.get("published"),
            "codelist_changes": m.get("codelist_changes", {}), "types_changed": m.get("types_changed", []),
            "files": [{k: v for k, v in d.items() if k != "sha256"} for d in m.get("downloads", [])],
            "previous_versions": m.get("previous_versions", []),
        } for m in months],
    }


def record_codelist_changes(package: DataPackage, months: list[dict], site_dir: Path) -> None:
    """Codes added, removed or relabelled in the package's lists since the last published
    site, kept with the newest month (and with it in releases.json afterwards)."""
    folder = site_dir / "donnees" / package.name / "codes"
    valid = [m for m in months if m["valid"]]
    if not folder.is_dir() or not valid:
        return
    changes = {}
    for codelist in package.codelists.values():
        path = folder / f"{codelist.variable}.json"
        if not path.exists():
            continue
        before = {}
        for item in json.loads(path.read_text(encoding="utf-8"))["codes"]:
            before.setdefault(item["code"], item["libelle"])
        now = {}
        for code in codelist.codes:
            now.setdefault(code.code, code.label)
        change = {
            "added": sorted((c for c in now if c not in before), key=str),
            "removed": sorted((c for c in before if c not in now), key=str),
            "relabelled": [{"code": c, "before": before[c], "after": now[c]}
                           for c in sorted(now, key=str) if c in before and before[c] != now[c]],
        }
        if any(change.values()):
            changes[codelist.variable] = change
    if changes:
        newest = valid[-1]
        newest["codelist_changes"] = {**newest.get("codelist_changes", {}), **changes}
    # types of the columns, against the schema the last site published
    descriptor_path = site_dir / "donnees" / package.name / "datapackage.json"
    if descriptor_path.exists():
        published = json.loads(descriptor_path.read_text(encoding="utf-8"))
        before = {f["name"]: f["type"] for r in published.get("resources", []) if r.get("name", "").startswith("extrait-")
                  and isinstance(r.get("schema"), dict) for f in r["schema"].get("fields", [])}
        now = {f.name: f.type for f in package.fields}
        types = [{"column": n, "before": before[n], "after": now[n]} for n in sorted(now) if n in before and before[n] != now[n]]
        if types:
            valid[-1]["types_changed"] = types


def check_releases(package: DataPackage, months: list[dict], site_dir: Path, corrections: set[str],
                   release_date: str | None = None) -> None:
    """A month already published must come back with the same bytes, unless declared a
    correction: then it becomes the next version of that month. A month published for the
    first time (or corrected) is dated by ``release_date``, an input of the build, never
    the clock, so two builds of the same inputs stay identical."""
    for month in months:
        month["published"] = release_date
    previous_path = site_dir / "donnees" / package.name / "releases.json"
    if not previous_path.exists():
        return
    previous = {r["month"]: r for r in json.loads(previous_path.read_text(encoding="utf-8"))["releases"]}
    for month in months:
        before = previous.get(month["month"])
        if before is None:
            continue
        month["version"] = before.get("version", 1)
        month["reason"] = before.get("reason", "scheduled")
        month["previous_versions"] = before.get("previous_versions", [])
        month["codelist_changes"] = before.get("codelist_changes", {})
        month["types_changed"] = before.get("types_changed", [])
        month["published"] = before.get("published")
        if before["source_sha256"] == month["source_sha256"]:
            continue
        if month["month"] not in corrections:
            raise ReleaseConflict(
                f"{month['source']} : le mois {month['month']} est déjà publié avec un autre contenu "
                f"(sha256 publié {before['source_sha256'][:16]}…, reçu {month['source_sha256'][:16]}…). "
                f"S'il s'agit d'une correction de la CNAM, relancez avec --correction {month['month']}.")
        month["version"] = before.get("version", 1) + 1
        month["reason"] = "correction"
        month["published"] = release_date
        month["replaces"] = before  # its files move to v<N>/ of the month, still downloadable


def site_context(config: SiteConfig, packages: list[DataPackage], months: dict[str, list[dict]]) -> dict:
    first = packages[0].descriptor if packages else {}
    return {
        "title": config.title, "description": config.description,
        "sources": first.get("sources", []), "licenses": first.get("licenses", []),
        "packages": [{"name": p.name, "title": p.title, "short_description": p.short_description,
                      "descriptor": p.descriptor, "amount_field": p.measures.main_amount,
                      "has_charts": (p.root / "charts.yaml").exists(), "charts": [],
                      "months": months[p.name], "latest": next((m for m in reversed(months[p.name]) if m["valid"]), None)}
                     for p in packages],
    }


def build(packages_dir: Path, site_dir: Path, cache_dir: Path, data_dir: Path | None = None,
          corrections: set[str] = frozenset(), config: SiteConfig | None = None,
          verify_checksums: bool = False, release_date: str | None = None) -> None:
    """The whole build, in data-flow order. Raises on any invalid month: site/ is then untouched."""
    config = config or load_site_config(ROOT / "site.yaml")
    packages = [load_package(p) for p in discover_packages(packages_dir)]
    if not packages:
        raise PortalError(f"{packages_dir} : aucun paquet de données (dossier contenant datapackage.json)")
    months: dict[str, list[dict]] = {}
    for package in packages:
        log(f"{package.name} : lecture, validation et conversion")
        store = cache_dir / package.name / "months"
        fingerprint = cache.package_fingerprint(package)
        months[package.name] = [process_month(package, path, store, fingerprint, verify_checksums)
                                for path in extract_files(package, data_dir)]
        invalid = [m for m in months[package.name] if not m["valid"]]
        if invalid:
            details = "; ".join(f"{m['source']} : {m['report']['stats']['errors']} erreur(s), rapport {store / m['month'] / 'validation.json'}"
                                for m in invalid)
            raise InvalidData(f"{package.name} : mois invalide(s), le site n'est pas mis à jour. {details}")
        check_releases(package, months[package.name], Path(site_dir), set(corrections), release_date)
        record_codelist_changes(package, months[package.name], Path(site_dir))
    with staged_site(site_dir) as out:
        site = site_context(config, packages, months)
        renderer = SiteRenderer(out, site)
        renderer.assets()
        for package, item in zip(packages, site["packages"]):
            chart_config = load_charts(package)
            if chart_config:  # stage 6: charts from the monthly cubes
                cubes = {m["month"]: m["cube"].path for m in months[package.name] if m.get("cube")}
                item["charts"] = build_charts(package, chart_config, cubes, euros)
                render_charts(renderer, package, item["charts"])
            publish_package(package, months[package.name], out, config, Path(site_dir))
            render_package(renderer, package, months[package.name], schema_org_dataset(config, item),
                           item.get("charts", ()))
            changes = release_changes(package, months[package.name])  # changelog of each release
            render_changes(renderer, package, changes)
            for month, change in changes.items():
                write_json(out / "donnees" / package.name / month / "changes.json", change)
            atom_feed(out / "donnees" / package.name / "publications.atom", package.title, config.base_url,
                      package.name, changes)
        renderer.page("index.html", "index.html", site["title"])
        renderer.page("404.html", "404.html", "Page introuvable")
        renderer.page("recherche.html", "search.html", "Rechercher")
        index_for_search(out)
        write_catalog(out, config, site["packages"])
        write_redirects(out, site["packages"])
        write_sitemap(out, config)
    log(f"site écrit dans {site_dir}")


# -- command line -----------------------------------------------------------------------------------


def command_build(args) -> int:
    if args.date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.date):
        raise PortalError(f"--date « {args.date} » invalide : attendu AAAA-MM-JJ")
    build(args.packages, args.site, args.cache, args.data, set(args.correction), load_site_config(args.config),
          args.verify_checksums, args.date)
    return 0


def command_validate(args) -> int:
    package = load_package(args.package)
    reports, results = [], []
    for path in args.files:
        result = validate_extract(package, Path(path))
        results.append(result)
        task = result.report["tasks"][0]
        verdict = "valide" if result.valid else "INVALIDE"
        log(f"{path} : {verdict}, {grouped(result.rows)} lignes, {task['stats']['errors']} erreur(s), "
            f"{task['stats']['warnings']} avertissement(s), en-tête {result.header_version or 'non reconnu'}")
        for group in task["summary"]:
            first = group["samples"][0]["message"] if group["samples"] else ""
            log(f"  {group['severity']:7} {group['type']:16} {group['fieldName'] or group['note'][:40]:24} {group['count']:>10}  ex. {first}")
        reports.append(result.report)
    merged = merge_reports(reports)
    if args.json:
        write_json(Path(args.json), merged)
    if args.html:
        for page in render_validation_pages(Path(args.html), package, results):
            log(f"rapport lisible : {page}")
    return 0 if merged["valid"] else 1


def command_sample(args) -> int:
    package = load_package(args.package)
    months = parse_months(args.months)
    if args.rows < 1:
        raise PortalError("--rows doit être un entier positif")
    write_sample(package, months, args.rows, Path(args.out), args.seed,
                 progress=lambda month, path: log(f"{path} ({grouped(path.stat().st_size)} octets)"))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="build.py", description=__doc__.split("\n\n")[0],
                                   formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    main.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main.add_subparsers(dest="command")
    default_package = DEFAULT_PACKAGES / "open-damir"

    b = commands.add_parser("build", help="construire le site (commande par défaut)")
    b.add_argument("--packages", type=Path, default=Path(os.environ.get("PORTAL_PACKAGES", DEFAULT_PACKAGES)),
                   help="dossier des paquets de données (défaut : datapackages/, ou $PORTAL_PACKAGES)")
    b.add_argument("--data", type=Path, default=Path(os.environ["PORTAL_DATA_DIR"]) if os.environ.get("PORTAL_DATA_DIR") else None,
                   help="dossier des fichiers mensuels réels (défaut : l'échantillon embarqué, ou $PORTAL_DATA_DIR)")
    b.add_argument("--site", type=Path, default=Path(os.environ.get("PORTAL_SITE_DIR", DEFAULT_SITE)),
                   help="dossier de sortie (défaut : site/, ou $PORTAL_SITE_DIR)")
    b.add_argument("--cache", type=Path, default=Path(os.environ.get("PORTAL_CACHE_DIR", DEFAULT_CACHE)),
                   help="dossier des fichiers intermédiaires (défaut : .cache/, ou $PORTAL_CACHE_DIR)")
    b.add_argument("--config", type=Path, default=ROOT / "site.yaml", help="réglages du site (défaut : site.yaml)")
    b.add_argument("--date", default=os.environ.get("PORTAL_RELEASE_DATE"), metavar="AAAA-MM-JJ",
                   help="date de publication des mois nouveaux ou corrigés (défaut : $PORTAL_RELEASE_DATE, sinon aucune)")
    b.add_argument("--verify-checksums", action="store_true",
                   help="relire chaque fichier source pour son empreinte, même inchangé en taille et en date")
    b.add_argument("--correction", action="append", default=[], metavar="AAAA-MM",
                   help="accepter un nouveau contenu pour un mois déjà publié (nouvelle version du mois)")
    b.set_defaults(handler=command_build)

    v = commands.add_parser("validate", help="valider des fichiers mensuels")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")
    v.add_argument("--package", type=Path, default=default_package, help="paquet de données (défaut : open-damir)")
    v.add_argument("--json", metavar="REPORT", help="écrire le rapport JSON (format Frictionless) dans REPORT")
    v.add_argument("--html", metavar="DIR", help="écrire aussi une page HTML lisible par fichier dans DIR")
    v.set_defaults(handler=command_validate)

    s = commands.add_parser("sample", help="écrire des mois synthétiques au format réel")
    s.add_argument("--months", required=True, help="mois ou intervalle, ex. 2024-01..2025-03")
    s.add_argument("--rows", type=int, required=True, help="lignes par mois")
    s.add_argument("--out", required=True, help="dossier de sortie")
    s.add_argument("--seed", type=int, default=1, help="graine (défaut 1) : même graine, mêmes octets")
    s.add_argument("--package", type=Path, default=default_package, help="paquet de données (défaut : open-damir)")
    s.set_defaults(handler=command_sample)
    return main


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["build", *argv]
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except PortalError as exc:
        log(f"erreur : {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        log("interrompu")
        return 130


if __name__ == "__main__":
    sys.exit(main())
