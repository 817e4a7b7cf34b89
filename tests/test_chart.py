"""Charts: declared as data, refused when they break the measure rules, right to the cent."""
import csv
import gzip
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


def test_chart_totals_reconcile_with_the_rows_to_the_cent(tmp_path):
    out = tmp_path / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path / "cache")
    base = out / "donnees" / "open-damir" / "graphiques"
    # independent sums, straight from the embedded CSV files
    expected = {}
    for path in sorted((PACKAGE_DIR / "data" / "echantillon").glob("A*.csv.gz")):
        with gzip.open(path, "rt") as handle:
            rows = list(csv.DictReader(handle, delimiter=";"))
        expected[f"{path.name[1:5]}-{path.name[5:7]}"] = sum(Decimal(r["FLT_REM_MNT"]) for r in rows)
        latest_rows = rows
    with open(base / "montant-par-mois-de-traitement.csv") as handle:
        by_month = {r["libelle"]: Decimal(r["FLT_REM_MNT"]) for r in csv.DictReader(handle)}
    assert by_month == expected
    latest_total = sum(Decimal(r["FLT_REM_MNT"]) for r in latest_rows)
    for chart in ("montant-par-categorie", "montant-par-region"):
        with open(base / f"{chart}.csv") as handle:
            values = list(csv.DictReader(handle))
        assert sum(Decimal(v["FLT_REM_MNT"]) for v in values) == latest_total  # nothing dropped
    with open(base / "montant-par-region.csv") as handle:
        regions = {r["BEN_RES_REG"] for r in csv.DictReader(handle)}
    assert "99" in regions  # region 99 (unknown) is shown, never dropped
    negative = [r for r in latest_rows if r["FLT_REM_MNT"].startswith("-")]
    assert negative  # and negative amounts are part of the totals above


def test_each_chart_page_has_svg_text_table_and_downloads(tmp_path):
    out = tmp_path / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path / "cache")
    base = out / "donnees" / "open-damir" / "graphiques"
    for spec in load_charts(load_package(PACKAGE_DIR)).charts:
        page = (base / f"{spec.id}.html").read_text(encoding="utf-8")
        assert f'<img src="{spec.id}.svg" alt="' in page and "<figcaption>" in page
        assert "<details>" in page and "<caption>" in page
        assert f'href="{spec.id}.csv"' in page and f'href="{spec.id}.svg"' in page
        assert (base / f"{spec.id}.svg").read_text().startswith("<svg")
    assert "montant-par-region.html" in (base / "index.html").read_text(encoding="utf-8")
