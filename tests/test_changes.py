"""Changelog of releases and the Atom feed, from the embedded sample."""
import json
from xml.etree import ElementTree as ET

import pytest

import build
from conftest import PACKAGE_DIR

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("changes") / "site"
    build.build(PACKAGE_DIR.parent, out, tmp_path_factory.mktemp("cache"))
    return out / "donnees" / "open-damir"


def test_header_change_is_reported_when_it_happens(site):
    october = json.loads((site / "2024-10" / "changes.json").read_text())
    assert october["schema"] == {"header_version": "v3", "previous_header_version": "v2",
                                 "columns_added": ["PSP_STJ_SNDS", "TOP_PS5_TRG"], "columns_removed": [],
                                 "types_changed": []}
    november = json.loads((site / "2024-11" / "changes.json").read_text())
    assert november["schema"]["columns_added"] == [] and november["schema"]["columns_removed"] == []


def test_data_moves_against_previous_month_and_a_year_before(site):
    change = json.loads((site / "2025-03" / "changes.json").read_text())
    releases = {r["month"]: r for r in json.loads((site / "releases.json").read_text())["releases"]}
    assert change["previous"]["month"] == "2025-02" and change["year_before"]["month"] == "2024-03"
    assert change["previous"]["rows"]["after"] == releases["2025-03"]["rows"]
    for comparison in ("previous", "year_before"):
        moves = change[comparison]["moves"]
        assert set(moves) == {"category", "BEN_RES_REG", "PSE_SPE_SNDS"}
        for items in moves.values():
            changes = [abs(m["change"]) for m in items]
            assert changes == sorted(changes, reverse=True) and len(items) <= 5
            for m in items:
                assert round(m["after"] - m["before"], 2) == m["change"]
    assert json.loads((site / "2024-01" / "changes.json").read_text())["previous"] is None


def test_codes_first_seen_are_new_and_no_longer_seen_are_gone(site):
    months = sorted(p.name for p in site.iterdir() if p.name[:2] == "20")
    usage = {}  # code -> months it is used in, from the published code dictionary's source: the cubes
    import pyarrow.parquet as pq
    for month in months:
        cube = pq.read_table(next((site / month).glob("cube-*.parquet")), columns=["PRS_NAT"])
        usage[month] = set(cube.column("PRS_NAT").to_pylist())
    for index, month in enumerate(months):
        change = json.loads((site / month / "changes.json").read_text())
        first = set(change["codes"]["first_seen"].get("PRS_NAT", []))
        gone = set(change["codes"]["no_longer_seen"].get("PRS_NAT", []))
        if index == 0:
            assert not first  # nothing to compare the first month with
            continue
        earlier = set().union(*(usage[m] for m in months[:index]))
        assert first == usage[month] - earlier
        assert gone == usage[months[index - 1]] - usage[month]


def test_atom_feed_lists_every_release_with_dates_from_the_data(site):
    feed = ET.parse(site / "publications.atom").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 15
    assert [e.find(f"{ATOM}updated").text for e in entries][0] == "2025-03-01T00:00:00Z"
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 15
    assert feed.find(f"{ATOM}updated").text == "2025-03-01T00:00:00Z"
    page = (site / "changements" / "2024-10.html").read_text(encoding="utf-8")
    assert "TOP_PS5_TRG" in page and "v2" in page


def test_release_dates_come_from_the_build_option_and_are_kept(tmp_path):
    import shutil
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*", "A202503*"))
    args = ["build", "--packages", str(packages), "--site", str(tmp_path / "site"), "--cache", str(tmp_path / "c")]
    assert build.main(args + ["--date", "2025-03-09"]) == 0
    source = PACKAGE_DIR / "data" / "echantillon" / "A202503.csv.gz"
    shutil.copyfile(source, packages / "open-damir" / "data" / "echantillon" / source.name)
    assert build.main(args + ["--date", "2025-04-09"]) == 0
    releases = json.loads((tmp_path / "site" / "donnees" / "open-damir" / "releases.json").read_text())
    assert [(r["month"], r["published"]) for r in releases["releases"]] == \
        [("2025-01", "2025-03-09"), ("2025-02", "2025-03-09"), ("2025-03", "2025-04-09")]
    assert build.main(args + ["--date", "9 avril"]) == 2


def test_code_list_edits_are_reported_with_the_newest_release(tmp_path):
    import shutil
    packages = tmp_path / "packages"
    shutil.copytree(PACKAGE_DIR, packages / "open-damir", ignore=shutil.ignore_patterns("A2024*"))
    args = ["build", "--packages", str(packages), "--site", str(tmp_path / "site"), "--cache", str(tmp_path / "c")]
    assert build.main(args) == 0
    codes = packages / "open-damir" / "codelists" / "BEN_SEX_COD.csv"
    codes.write_text(codes.read_text().replace("FEMININ", "FÉMININ") + "7,NOUVEAU CODE,\n")
    assert build.main(args) == 0
    change = json.loads((tmp_path / "site" / "donnees" / "open-damir" / "2025-03" / "changes.json").read_text())
    assert change["codelists"]["BEN_SEX_COD"] == {
        "added": [7], "removed": [], "relabelled": [{"code": 2, "before": "FEMININ", "after": "FÉMININ"}]}
    assert build.main(args) == 0  # still reported once the previous site has the new lists
    again = json.loads((tmp_path / "site" / "donnees" / "open-damir" / "2025-03" / "changes.json").read_text())
    assert again["codelists"] == change["codelists"]
