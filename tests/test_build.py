"""The whole build from the embedded sample: pages, links, machine files, failure safety."""
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

import build
from conftest import PACKAGE_DIR
from portal.convert import file_sha256


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("built") / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path_factory.mktemp("cache"))
    return out


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_and_anchor_resolves(site):
    pages = {p: parse(p) for p in site.rglob("*.html")}
    assert len(pages) > 100
    broken = []
    for page, links in pages.items():
        for link in links.links:
            if urlparse(link).scheme in ("http", "https", "mailto"):
                continue
            target, anchor = urldefrag(link)
            resolved = (page.parent / target).resolve() if target else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
            elif anchor and resolved.suffix == ".html" and anchor not in pages[resolved].ids:
                broken.append(f"{page.relative_to(site)} -> {link} (ancre)")
    assert not broken, broken[:10]


def test_each_column_and_code_list_has_its_page(site, package):
    base = site / "donnees" / "open-damir"
    for field in package.fields:
        page = (base / "colonnes" / f"{field.name}.html").read_text(encoding="utf-8")
        assert field.title.replace("'", "&#39;") in page
    for codelist in package.codelists.values():
        page = base / "codes" / f"{codelist.variable}.html"
        assert page.exists() and (base / "codes" / f"{codelist.variable}.csv").exists()
    prs_nat = (base / "codes" / "PRS_NAT.html").read_text(encoding="utf-8")
    assert prs_nat.count("<tr>") >= 1570


def test_pages_are_french_and_accessible_basics(site):
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert '<html lang="fr">' in html
        assert html.count("<table") == html.count("<caption>")
        assert "http://" not in html.replace("http://www.w3.org", "")
    column = (site / "donnees" / "open-damir" / "colonnes" / "PRS_NAT.html").read_bytes()
    assert len(column) + (site / "assets" / "style.css").stat().st_size < 100_000


def test_downloads_and_published_datapackage(site):
    base = site / "donnees" / "open-damir"
    assert (base / "2025-03" / "A202503.csv.gz").exists() and (base / "2025-03" / "A202503.parquet").exists()
    descriptor = json.loads((base / "datapackage.json").read_text())
    extracts = [r for r in descriptor["resources"] if r["name"].startswith("extrait-")]
    assert len(extracts) == 30  # CSV and Parquet of 15 months
    assert {r["format"] for r in extracts} == {"csv", "parquet"}
    assert all(r["hash"].startswith("sha256:") and r["bytes"] > 0 for r in extracts)
    for resource in extracts:  # sizes and checksums are those of the files served
        served = base / resource["path"]
        assert served.stat().st_size == resource["bytes"]
        assert file_sha256(served) == resource["hash"].split(":")[1]
    from frictionless import Package
    report = Package(str(base / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "rowNumber", "fieldName", "note"])[:5]


def test_validation_report_pages(site):
    page = (site / "donnees" / "open-damir" / "validation" / "2025-01.html").read_text(encoding="utf-8")
    assert "Valide" in page and "lignes vérifiées" in page
    report = json.loads((site / "donnees" / "open-damir" / "2025-01" / "validation.json").read_text())
    assert report["valid"] and report["tasks"][0]["stats"]["rows"] == 3000


def test_invalid_month_fails_the_build_and_keeps_the_last_site(tmp_path, site):
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir")
    data = packages / "open-damir" / "data" / "echantillon"
    (data / "A202503.csv.gz").write_bytes((data / "A202503.csv.gz").read_bytes()[:20_000])
    out = tmp_path / "site"
    shutil.copytree(site, out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    assert build.main(["build", "--packages", str(packages), "--site", str(out), "--cache", str(tmp_path / "c")]) == 2
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
    assert not list(tmp_path.glob(".site-*"))  # no staging folder left behind


def test_html_in_labels_and_markdown_is_escaped(tmp_path):
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*", "A20250[12]*"))
    root = packages / "open-damir"
    codes = root / "codelists" / "ASU_NAT.csv"
    codes.write_text(codes.read_text().replace("MALADIE", "<script>alert(1)</script>", 1))
    (root / "docs" / "zz-test.md").write_text("# Essai\n\n<script>alert(2)</script>\n\n<b>gras</b>\n")
    out = tmp_path / "site"
    build.build(packages, out, tmp_path / "cache")
    codes_page = (out / "donnees" / "open-damir" / "codes" / "ASU_NAT.html").read_text()
    doc_page = (out / "donnees" / "open-damir" / "documentation" / "zz-test.html").read_text()
    for html in (codes_page, doc_page):
        assert "<script>" not in html and "&lt;script&gt;" in html


def test_month_republished_with_other_content_is_refused_unless_a_correction(tmp_path):
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*"))
    out, cache_dir = tmp_path / "site", tmp_path / "cache"
    build.build(packages, out, cache_dir)
    releases = json.loads((out / "donnees" / "open-damir" / "releases.json").read_text())
    assert [r["month"] for r in releases["releases"]] == ["2025-01", "2025-02", "2025-03"]
    assert releases["latest"] == "2025-03"
    from portal.package import load_package
    from portal.sample import write_month
    data = packages / "open-damir" / "data" / "echantillon"
    write_month(load_package(packages / "open-damir"), "2025-02", 500, data, seed=99)  # other content
    args = ["build", "--packages", str(packages), "--site", str(out), "--cache", str(cache_dir)]
    assert build.main(args) == 2
    assert json.loads((out / "donnees" / "open-damir" / "releases.json").read_text()) == releases
    assert build.main(args + ["--correction", "2025-02"]) == 0
    corrected = json.loads((out / "donnees" / "open-damir" / "releases.json").read_text())["releases"][1]
    assert corrected["version"] == 2 and corrected["reason"] == "correction"
    # the replaced version stays downloadable, byte for byte, and is listed
    old = corrected["previous_versions"][0]
    assert old["version"] == 1 and old["source_sha256"] == releases["releases"][1]["source_sha256"]
    kept = out / "donnees" / "open-damir" / "2025-02" / "v1" / "A202502.csv.gz"
    assert file_sha256(kept) == old["source_sha256"]
    assert build.main(args) == 0  # a later build keeps the old version
    assert kept.exists()
    again = json.loads((out / "donnees" / "open-damir" / "releases.json").read_text())["releases"][1]
    assert again["version"] == 2 and again["previous_versions"] == corrected["previous_versions"]


def test_unchanged_months_come_from_the_cache(tmp_path, capsys):
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*"))
    build.build(packages, tmp_path / "site", tmp_path / "cache")
    capsys.readouterr()
    build.build(packages, tmp_path / "site", tmp_path / "cache")
    assert capsys.readouterr().err.count("repris du cache") == 3


def test_dcat_catalogue_parses_and_carries_what_harvesters_read(site):
    from rdflib import Graph, Namespace
    from rdflib.namespace import DCAT, DCTERMS, RDF
    spdx = Namespace("http://spdx.org/rdf/terms#")
    for name, fmt in (("catalog.ttl", "turtle"), ("catalog.jsonld", "json-ld")):
        graph = Graph().parse(site / name, format=fmt)
        dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
        for predicate in (DCTERMS.title, DCTERMS.description, DCAT.keyword, DCTERMS.license,
                          DCTERMS.accrualPeriodicity, DCTERMS.temporal, DCAT.contactPoint, DCAT.landingPage,
                          DCTERMS.identifier):
            assert graph.value(dataset, predicate) is not None, (name, predicate)
        distributions = list(graph.objects(dataset, DCAT.distribution))
        assert len(distributions) == 30
        for distribution in distributions:
            for predicate in (DCAT.downloadURL, DCAT.mediaType, DCTERMS["format"], DCAT.byteSize, DCTERMS.conformsTo):
                assert graph.value(distribution, predicate) is not None, (name, predicate)
            checksum = graph.value(distribution, spdx.checksum)
            assert len(str(graph.value(checksum, spdx.checksumValue))) == 64


def test_schema_org_sitemap_robots_and_latest_alias(site):
    page = (site / "donnees" / "open-damir" / "index.html").read_text(encoding="utf-8")
    script = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    data = json.loads(script)
    assert data["@type"] == "Dataset" and data["temporalCoverage"] == "2024-01/2025-03"
    assert data["license"] and data["name"] and data["description"]
    assert all({"contentUrl", "encodingFormat", "contentSize"} <= set(d) for d in data["distribution"])
    sitemap = (site / "sitemap.xml").read_text()
    assert sitemap.count("<loc>") == len([p for p in site.rglob("*.html") if p.name != "404.html"])
    assert "Sitemap: " in (site / "robots.txt").read_text()
    latest = json.loads((site / "donnees" / "open-damir" / "latest.json").read_text())
    assert latest["month"] == "2025-03"
    assert "/donnees/open-damir/latest/open-damir.parquet /donnees/open-damir/2025-03/A202503.parquet 302" in \
        (site / "_redirects").read_text()


def test_large_files_are_linked_not_copied(tmp_path):
    from portal.config import SiteConfig
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*"))
    first = tmp_path / "first"
    build.build(packages, first, tmp_path / "cache")
    sizes = {p.name: p.stat().st_size for p in (first / "donnees" / "open-damir" / "2025-01").glob("A202501.*")}
    limit = min(sizes.values())  # the smaller file stays, the larger goes to the file host
    config = SiteConfig(base_url="https://portail.example/", max_file_bytes=limit,
                        files_base_url="https://fichiers.example/")
    out = tmp_path / "site"
    build.build(packages, out, tmp_path / "cache", config=config)
    base = out / "donnees" / "open-damir"
    small, large = sorted(sizes, key=sizes.get)
    assert sizes[large] > limit
    assert (base / "2025-01" / small).exists() and not (base / "2025-01" / large).exists()
    descriptor = json.loads((base / "datapackage.json").read_text())
    fmt = "parquet" if large.endswith(".parquet") else "csv"
    resource = next(r for r in descriptor["resources"] if r["name"] == f"extrait-2025-01-{fmt}")
    assert resource["path"] == f"https://fichiers.example/donnees/open-damir/2025-01/{large}"
    assert resource["bytes"] == sizes[large] and resource["hash"].startswith("sha256:")
    page = (base / "index.html").read_text(encoding="utf-8")
    assert f'href="https://fichiers.example/donnees/open-damir/2025-01/{large}"' in page
