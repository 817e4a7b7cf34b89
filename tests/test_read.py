import csv
import gzip
import shutil

import pytest

from conftest import REAL_LINES
from portal.errors import ExtractError
from portal.read import BadRowCounter, iter_batches, match_header, open_extract, plan_for, read_header


def read_all(package, path):
    labels = read_header(path, ";", True)
    match = match_header(labels, package.extract.header_versions, "2025-01")
    plan = plan_for(package, list(match.version.columns))
    opened = open_extract(path)
    try:
        batches = list(iter_batches(opened, plan, BadRowCounter()))
        sha256, size = opened.finish_hash()
    finally:
        opened.close()
    return match, batches, sha256, size


@pytest.mark.parametrize("compressed", [False, True])
def test_the_94_real_lines_are_read_exactly(package, tmp_path, compressed):
    path = tmp_path / ("A202501.csv.gz" if compressed else "A202501.csv")
    if compressed:
        with open(REAL_LINES, "rb") as source, gzip.open(path, "wb") as target:
            shutil.copyfileobj(source, target)
    else:
        shutil.copyfile(REAL_LINES, path)
    match, batches, sha256, size = read_all(package, path)
    assert match.version.id == "v3"
    rows = [row for batch in batches for row in batch.to_pylist()]
    with open(REAL_LINES, newline="") as handle:
        raw = list(csv.reader(handle, delimiter=";"))
    header, lines = raw[0][:-1], raw[1:]
    assert len(rows) == len(lines) == 94
    types = {f.name: f.type for f in package.fields}
    checked = 0
    for row, line in zip(rows, lines):
        assert line[-1] == ""  # the trailing ';'
        for name, text in zip(header, line[:-1]):
            value = row[name]
            if text == "":
                assert value is None and name in ("PRS_ACT_NBR", "FLT_ACT_NBR")
            elif types[name] == "integer":
                assert value == int(text)
            elif types[name] == "number":
                assert value == float(text)  # '.61' and '-.57' included
            else:
                assert value == text  # zero-padded care dates stay text
            checked += 1
    assert checked == 94 * 56
    assert any(row["SOI_MOI"] == "01" for row in rows)
    assert size == path.stat().st_size and len(sha256) == 64


def test_header_versions_are_matched_by_labels(package):
    v2 = list(package.header_version("v2").columns)
    assert match_header(v2, package.extract.header_versions, "2024-01").version.id == "v2"
    broken = [c for c in v2 if c != "PRS_NAT"] + ["EXTRA_COL"]
    result = match_header(broken, package.extract.header_versions, "2024-01")
    assert not result.ok and result.closest.id == "v2"
    assert result.missing == ["PRS_NAT"] and result.extra == ["EXTRA_COL"]
    swapped = v2[:]
    swapped[0], swapped[1] = swapped[1], swapped[0]
    result = match_header(swapped, package.extract.header_versions, "2024-01")
    assert result.misplaced[:2] == [(1, v2[1], v2[0]), (2, v2[0], v2[1])]
    assert "mal placées" in result.describe()


def test_empty_file(tmp_path):
    path = tmp_path / "A202501.csv"
    path.write_bytes(b"")
    with pytest.raises(ExtractError, match="vide"):
        read_header(path, ";", True)


def test_wrong_separator_is_named(tmp_path):
    path = tmp_path / "A202501.csv"
    path.write_text(REAL_LINES.read_text().replace(";", ","))
    with pytest.raises(ExtractError, match=r"ligne 1 .*« , »"):
        read_header(path, ";", True)


def test_binary_file(tmp_path):
    path = tmp_path / "A202501.csv.gz"
    path.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(ExtractError, match="binaire|ASCII"):
        read_header(path, ";", True)


def test_missing_trailing_separator_in_header(tmp_path):
    path = tmp_path / "A202501.csv"
    lines = REAL_LINES.read_text().splitlines()
    path.write_text(lines[0].rstrip(";") + "\n" + "\n".join(lines[1:]) + "\n")
    with pytest.raises(ExtractError, match="ne se termine pas"):
        read_header(path, ";", True)
