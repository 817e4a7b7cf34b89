"""Charts: declared as data, refused when they break the measure rules, right to the cent."""
import csv
import gzip
import re
import shutil
from decimal import Decimal

import pytest
import yaml

import build
from conftest import PACKAGE_DIR
from portal.chart import ChartSpec, check_measure_rules, load_charts
from portal.errors import PackageError
from portal.package import load_package


def test_prs_measure_without_its_filter_is_refused(package):
    spec = ChartSpec(id="x", title="x", measure="PRS_REM_MNT", by="BEN_RES_REG", kind="bar")
    with pytest.raises(PackageError, match="PRS_REM_MNT sans filtre sur PRS_REM_TYP"):
        check_measure_rules(package, spec, "charts.yaml")
    filtered = ChartSpec(id="x", title="x", measure="PRS_REM_MNT", by="BEN_RES_REG", kind="bar",
                         filters={"PRS_REM_TYP": 0})
    check_measure_rules(package, filtered, "charts.yaml")  # accepted


def test_mixing_flt_and_prs_is_refused(package):
    spec = ChartSpec(id="x", title="x", measure=["FLT_REM_MNT", "PRS_REM_MNT"], by="BEN_RES_REG", kind="bar",
                     filters={"PRS_REM_TYP": 0})
    with pytest.raises(PackageError, match="mélange des mesures FLT et PRS"):
        check_measure_rules(package, spec, "charts.yaml")


def test_a_bad_declaration_stops_the_build_with_a_clear_message(tmp_path):
    root = tmp_path / "packages" / "open-damir"
    shutil.copytree(PACKAGE_DIR, root, ignore=shutil.ignore_patterns("A2024*"))
    config = yaml.safe_load((root / "charts.yaml").read_text())
    config["charts"][0]["measure"] = "PRS_REM_MNT"
    (root / "charts.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(PackageError, match="charts\\[0\\].*PRS_REM_MNT sans filtre"):
        load_charts(load_package(root))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("charts") / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path_factory.mktemp("cache"))
    return out / "donnees" / "open-damir" / "graphiques"


@pytest.fixture(scope="module")
def raw_rows():
    """The embedded sample, read straight from its CSV files (independent of the pipeline)."""
    months = {}
    for path in sorted((PACKAGE_DIR / "data" / "echantillon").glob("A*.csv.gz")):
        with gzip.open(path, "rt") as handle:
            months[f"{path.name[1:5]}-{path.name[5:7]}"] = list(csv.DictReader(handle, delimiter=";"))
    return months


def chart_rows(built, chart_id):
    with open(built / f"{chart_id}.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def amount(rows, **filters):
    return sum(Decimal(r["FLT_REM_MNT"]) for r in rows if all(r.get(k) == v for k, v in filters.items()))


def test_chart_totals_reconcile_with_the_rows_to_the_cent(built, raw_rows):
    by_month = {r["libelle"]: Decimal(r["FLT_REM_MNT"]) for r in chart_rows(built, "montant-par-mois-de-traitement")}
    assert by_month == {month: amount(rows) for month, rows in raw_rows.items()}
    latest = raw_rows[max(raw_rows)]
    for chart in ("montant-par-categorie", "montant-par-region", "montant-par-specialite", "montant-par-activite",
                  "montant-par-age-et-sexe"):
        assert sum(Decimal(v["FLT_REM_MNT"]) for v in chart_rows(built, chart)) == amount(latest), chart
    care = chart_rows(built, "montant-par-mois-de-soins")
    assert sum(Decimal(v["FLT_REM_MNT"]) for v in care) == sum(amount(rows) for rows in raw_rows.values())
    unknown = [v for v in care if v["libelle"] == "date de soins inconnue"]
    expected_unknown = sum(amount(rows, SOI_ANN="0000") for rows in raw_rows.values())
    assert unknown and Decimal(unknown[0]["FLT_REM_MNT"]) == expected_unknown  # kept as unknown, never a date
    assert all(v["libelle"][:4] != "0000" for v in care)


def test_region_99_and_negative_amounts_are_kept(built, raw_rows):
    regions = {r["BEN_RES_REG"]: Decimal(r["FLT_REM_MNT"]) for r in chart_rows(built, "montant-par-region")}
    latest = raw_rows[max(raw_rows)]
    assert regions["99"] == amount(latest, BEN_RES_REG="99")
    assert any(r["FLT_REM_MNT"].startswith("-") for r in latest)


def test_perimeter_shares_and_absent_columns(built, raw_rows):
    shares = chart_rows(built, "perimetres")
    latest_month = max(raw_rows)
    latest = raw_rows[latest_month]
    statistic = next(r for r in shares if r["libelle"] == latest_month and r["serie"].startswith("Statistique"))
    expected = 100 * amount(latest, TOP_PS5_TRG="1") / amount(latest)
    assert abs(Decimal(statistic["part_pct"]) - expected) < Decimal("0.01")
    # TOP_PS5_TRG is absent from the 08/2023-09/2024 header: no point rather than a false 0 %
    assert not [r for r in shares if r["libelle"] == "2024-05" and r["serie"].startswith("Statistique")]
    assert [r for r in shares if r["libelle"] == "2024-05" and r["serie"].startswith("Soins de ville")]


def test_care_month_completeness_is_computed_from_the_data(built):
    page = (built / "montant-par-mois-de-soins.html").read_text(encoding="utf-8")
    shares = [float(x.replace(",", ".")) for x in re.findall(r"de traitement, ([\d,]+) %", page)]
    assert len(shares) == 3 and shares[0] < shares[1] < shares[2] <= 100


def test_each_chart_page_has_svg_text_table_and_downloads(built):
    for spec in load_charts(load_package(PACKAGE_DIR)).charts:
        page = (built / f"{spec.id}.html").read_text(encoding="utf-8")
        assert f'<img src="{spec.id}.svg" alt="' in page and "<figcaption>" in page
        assert "<details>" in page and "<caption>" in page
        for suffix in ("csv", "svg", "png", "vl.json"):
            assert f'href="{spec.id}.{suffix}"' in page and (built / f"{spec.id}.{suffix}").stat().st_size > 0
        assert (built / f"{spec.id}.svg").read_text().startswith("<svg")
        assert (built / f"{spec.id}.png").read_bytes()[:4] == b"\x89PNG"
    assert "montant-par-region.html" in (built / "index.html").read_text(encoding="utf-8")
    bundle = built.parent.parent.parent / "assets" / "graphiques.js"
    assert bundle.stat().st_size > 100_000  # the Vega libraries, served by the site itself
    for page in built.glob("*.html"):
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', page.read_text(encoding="utf-8"))


def test_french_formats_in_the_rendered_chart(built):
    svg = (built / "montant-par-mois-de-traitement.svg").read_text(encoding="utf-8")
    assert "janv." in svg and "€" in svg


def test_category_coverage_is_reported_and_right(built, raw_rows):
    page = (built / "montant-par-categorie.html").read_text(encoding="utf-8")
    shown = float(re.search(r"Couverture du regroupement : ([\d,]+) %", page).group(1).replace(",", "."))
    with open(PACKAGE_DIR / "categories" / "prs_nat.csv", encoding="utf-8") as handle:
        ranges = [(int(r["code_min"]), int(r["code_max"])) for r in csv.DictReader(handle) if r["categorie"] != "non-classe"]
    latest = raw_rows[max(raw_rows)]
    classified = sum(Decimal(r["FLT_REM_MNT"]) for r in latest if any(a <= int(r["PRS_NAT"]) <= b for a, b in ranges))
    assert abs(shown - float(100 * classified / amount(latest))) < 0.01
    assert shown > 99  # the grouping covers the codes in use


def test_real_lines_reconcile_to_the_cent(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(PACKAGE_DIR / "data" / "reference" / "A202501_echantillon_reel.csv", data / "A202501.csv")
    out = tmp_path / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path / "cache", data_dir=data)
    base = out / "donnees" / "open-damir" / "graphiques"
    with open(data / "A202501.csv", encoding="ascii") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    total = amount(rows)
    assert [Decimal(r["FLT_REM_MNT"]) for r in chart_rows(base, "montant-par-mois-de-traitement")] == [total]
    for chart in ("montant-par-categorie", "montant-par-region", "montant-par-age-et-sexe", "montant-par-mois-de-soins"):
        assert sum(Decimal(v["FLT_REM_MNT"]) for v in chart_rows(base, chart)) == total, chart


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium absent (installed by .ci/run)")
def test_interactive_version_replaces_the_image_in_a_browser(built, tmp_path):
    import functools
    import http.server
    import subprocess
    import threading
    site = built.parent.parent.parent
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for _attempt in range(3):
            done = subprocess.run(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--no-first-run", f"--user-data-dir={tmp_path / 'profil'}", "--virtual-time-budget=20000",
                 "--dump-dom", f"http://127.0.0.1:{server.server_port}/donnees/open-damir/graphiques/montant-par-region.html"],
                capture_output=True, text=True, timeout=120)
            if 'hidden=""' in done.stdout:
                break
    finally:
        server.shutdown()
    image = re.search(r"<img[^>]*data-vega-spec[^>]*>", done.stdout).group(0)
    assert 'hidden=""' in image  # Vega drew the chart (the image is hidden only once it did)
    holder = done.stdout[done.stdout.index('chart-interactive'):]
    assert "<svg" in holder[:5000]
