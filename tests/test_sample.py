import gzip

import pytest

from portal.errors import PortalError
from portal.sample import parse_months, write_month
from portal.validate import validate_extract


def test_same_seed_same_bytes(package, tmp_path):
    a = write_month(package, "2024-05", 2000, tmp_path / "a", seed=11)
    b = write_month(package, "2024-05", 2000, tmp_path / "b", seed=11)
    c = write_month(package, "2024-05", 2000, tmp_path / "c", seed=12)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()


def test_months_get_their_period_header_and_validate(package, tmp_path):
    for month, version in (("2023-05", "v1"), ("2024-03", "v2"), ("2025-02", "v3")):
        path = write_month(package, month, 1500, tmp_path, seed=5)
        result = validate_extract(package, path)
        assert result.valid, result.report["tasks"][0]["summary"][:2]
        assert result.header_version == version


def test_content_is_realistic(package, generated_month):
    text = gzip.decompress(generated_month.read_bytes()).decode()
    lines = text.splitlines()
    header = lines[0].split(";")[:-1]
    rows = [dict(zip(header, line.split(";")[:-1])) for line in lines[1:]]
    assert all(line.endswith(";") for line in lines)
    amounts = [r["PRS_PAI_MNT"] for r in rows]
    assert any(a.startswith(".") for a in amounts) or any(a.startswith("-.") for a in amounts)
    assert not any(a.startswith("0.") for a in amounts)
    empty = sum(r["PRS_ACT_NBR"] == "" for r in rows) / len(rows)
    assert 0.07 < empty < 0.13
    negative = sum(r["FLT_REM_MNT"].startswith("-") for r in rows) / len(rows)
    assert 0.08 < negative < 0.35
    same_month = sum(r["SOI_ANN"] + r["SOI_MOI"] == "202501" for r in rows) / len(rows)
    assert 0.4 < same_month < 0.6
    assert any(r["SOI_ANN"] == "0000" and r["SOI_MOI"] == "00" for r in rows) or len(rows) < 1000
    pharmacy = [r for r in rows if r["PSE_ACT_SNDS"] == "50"]
    assert pharmacy and all(r["PSE_SPE_SNDS"] == "0" for r in pharmacy)
    for r in rows:  # the FLT/PRS rule of the descriptor
        typ = int(r["PRS_REM_TYP"])
        if typ == 0:
            assert r["FLT_PAI_MNT"] == r["PRS_PAI_MNT"]
        elif typ not in (1, 99):
            assert r["FLT_REM_MNT"] == "0"
    unknown_region = [r for r in rows if r["BEN_RES_REG"] == "99"]
    ij_share = sum(6000 <= int(r["PRS_NAT"]) < 6400 for r in unknown_region) / max(len(unknown_region), 1)
    overall = sum(6000 <= int(r["PRS_NAT"]) < 6400 for r in rows) / len(rows)
    assert ij_share > 3 * overall  # region 99 is over-represented in daily allowances


def test_parse_months():
    assert parse_months("2024-11..2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert parse_months("2025-03") == ["2025-03"]
    for bad in ("2025-13", "2025-03..2024-01", "janvier"):
        with pytest.raises(PortalError):
            parse_months(bad)
