"""The validation engine: verdicts equal Frictionless's on one injected defect per file."""
import gzip
import json
import re

import pytest

import build
from conftest import REAL_LINES
from frictionless_reference import frictionless_verdicts, our_verdicts
from portal.errors import ExtractError
from portal.validate import ordinal_to_line, validate_extract


def set_cell(line: str, index: int, value: str) -> str:
    cells = line.split(";")
    cells[index] = value
    return ";".join(cells)


COLUMNS = REAL_LINES.read_text().splitlines()[0].split(";")
col = COLUMNS.index

# defect name -> function(lines) mutating the data lines (index 0 is the header)
DEFECTS = {
    "integer-with-decimals": lambda l: l.__setitem__(5, set_cell(l[5], col("PRS_NAT"), "1.5")),
    "non-numeric-amount": lambda l: l.__setitem__(7, set_cell(l[7], col("FLT_REM_MNT"), "12,5")),
    "text-in-code": lambda l: l.__setitem__(9, set_cell(l[9], col("AGE_BEN_SNDS"), "N/A")),
    "empty-required": lambda l: l.__setitem__(11, set_cell(l[11], col("BEN_SEX_COD"), "")),
    "unknown-code": lambda l: l.__setitem__(13, set_cell(l[13], col("PRS_NAT"), "99998")),
    "negative-code": lambda l: l.__setitem__(14, set_cell(l[14], col("CPT_ENV_TYP"), "-1")),
    "bad-care-month": lambda l: l.__setitem__(15, set_cell(l[15], col("SOI_MOI"), "13")),
    "unpadded-care-year": lambda l: l.__setitem__(16, set_cell(l[16], col("SOI_ANN"), "25")),
    "month-out-of-range": lambda l: l.__setitem__(17, set_cell(l[17], col("FLX_ANN_MOI"), "190001")),
    "wrong-month": lambda l: l.__setitem__(18, set_cell(l[18], col("FLX_ANN_MOI"), "202412")),
    "flt-prs-mismatch": lambda l: l.__setitem__(19, set_cell(l[19], col("FLT_PAI_MNT"), "999.99")),
    "short-line": lambda l: l.__setitem__(20, ";".join(l[20].split(";")[:40]) + ";"),
    "long-line": lambda l: l.__setitem__(21, l[21] + "7;8;"),
    "no-trailing-separator": lambda l: l.__setitem__(22, l[22][:-1]),
    "blank-line": lambda l: l.insert(23, ""),
    "several-at-once": lambda l: (l.__setitem__(3, set_cell(l[3], col("PRS_REM_MNT"), "abc")),
                                  l.__setitem__(30, set_cell(l[30], col("PRS_NAT"), "4")),
                                  l.__setitem__(40, set_cell(l[40], col("TOP_PS5_TRG"), "x"))),
}


def write_defect(tmp_path, lines, defect, compressed=False):
    lines = list(lines)
    DEFECTS[defect](lines)
    data = ("\n".join(lines) + "\n").encode()
    path = tmp_path / ("A202501.csv.gz" if compressed else "A202501.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    return path


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_verdicts_equal_frictionless_on_real_lines(package, tmp_path, defect):
    path = write_defect(tmp_path, REAL_LINES.read_text().splitlines(), defect)
    result = validate_extract(package, path)
    ours = our_verdicts(result)
    theirs = frictionless_verdicts(package, path, "v3", "2025-01")
    assert not result.valid and ours  # the defect is seen...
    assert ours == theirs  # ...exactly as Frictionless sees it


@pytest.mark.parametrize("defect", ["integer-with-decimals", "unknown-code", "short-line", "flt-prs-mismatch"])
def test_verdicts_equal_frictionless_on_a_generated_month(package, tmp_path, generated_month, defect):
    lines = gzip.decompress(generated_month.read_bytes()).decode().splitlines()[:400]
    path = write_defect(tmp_path, lines, defect, compressed=True)
    result = validate_extract(package, path)
    assert our_verdicts(result) == frictionless_verdicts(package, path, "v3", "2025-01")
    assert not result.valid


def test_valid_files_are_valid_for_both(package, real_file, generated_month):
    for path in (real_file, generated_month):
        result = validate_extract(package, path)
        assert result.valid and result.rows in (94, 4000)
        assert frictionless_verdicts(package, path, "v3", "2025-01") == set()


def test_unofficial_code_list_gives_a_warning_not_an_error(package, tmp_path):
    lines = REAL_LINES.read_text().splitlines()
    lines[4] = set_cell(lines[4], col("ETB_DCS_MCO"), "Q")
    path = tmp_path / "A202501.csv"
    path.write_text("\n".join(lines) + "\n")
    result = validate_extract(package, path)
    assert result.valid
    summary = result.report["tasks"][0]["summary"]
    assert [(g["type"], g["fieldName"], g["severity"], g["count"]) for g in summary] == \
        [("foreign-key", "ETB_DCS_MCO", "warning", 1)]
    assert result.report["tasks"][0]["warnings"]


def test_unknown_header_names_missing_and_extra_columns(package, tmp_path):
    lines = REAL_LINES.read_text().splitlines()
    lines[0] = lines[0].replace("PRS_NAT;", "PRS_NATURE;")
    path = tmp_path / "A202501.csv"
    path.write_text("\n".join(lines) + "\n")
    result = validate_extract(package, path)
    assert not result.valid and result.rows == 0
    types = {(e["type"], e["fieldName"]) for e in result.report["tasks"][0]["errors"]}
    assert types == {("missing-label", "PRS_NAT"), ("extra-label", "PRS_NATURE")}


def test_truncated_gzip_is_an_error_naming_the_file(package, tmp_path, generated_month):
    path = tmp_path / "A202501.csv.gz"
    path.write_bytes(generated_month.read_bytes()[:50_000])
    with pytest.raises(ExtractError, match=r"A202501\.csv\.gz, ligne \d+ : fichier gzip tronqué"):
        validate_extract(package, path)


def test_report_counts_beyond_samples_and_lines_after_skipped_rows(package, tmp_path):
    lines = REAL_LINES.read_text().splitlines()
    for i in range(1, 60):
        lines[i] = set_cell(lines[i], col("PRS_NAT"), "77777")
    lines.insert(3, "1;2;3;")  # a short line shifts nothing for rows after it
    path = tmp_path / "A202501.csv"
    path.write_text("\n".join(lines) + "\n")
    result = validate_extract(package, path)
    group = next(g for g in result.report["tasks"][0]["summary"] if g["type"] == "foreign-key" and g["fieldName"] == "PRS_NAT")
    assert group["count"] == 59 and len(group["samples"]) == package.validation.max_samples
    rows = [s["rowNumber"] for s in group["samples"]]
    assert rows[:3] == [2, 3, 5]  # line 4 is the inserted short line


def test_ordinal_to_line():
    assert ordinal_to_line(0, []) == 2
    assert ordinal_to_line(0, [2]) == 3
    assert ordinal_to_line(1, [2, 3, 10]) == 5
    assert ordinal_to_line(7, [2, 3, 10]) == 12


def test_command_line_exit_codes_and_json(package, tmp_path, real_file):
    report = tmp_path / "report.json"
    assert build.main(["validate", str(real_file), "--json", str(report)]) == 0
    assert json.loads(report.read_text())["valid"] is True
    bad = write_defect(tmp_path, REAL_LINES.read_text().splitlines(), "unknown-code")
    assert build.main(["validate", str(bad), "--json", str(report)]) == 1
    data = json.loads(report.read_text())
    assert data["tasks"][0]["errors"][0]["type"] == "foreign-key"
    assert data["tasks"][0]["errors"][0]["rowNumber"] == 14
    assert build.main(["validate", str(tmp_path / "absent.csv")]) == 2


def test_readable_html_report_for_an_invalid_file(package, tmp_path):
    bad = write_defect(tmp_path, REAL_LINES.read_text().splitlines(), "several-at-once")
    out = tmp_path / "rapports"
    assert build.main(["validate", str(bad), "--html", str(out)]) == 1
    page = (out / "A202501.html").read_text(encoding="utf-8")
    assert "Invalide" in page and "type-error" in page and "PRS_REM_MNT" in page and "ligne 4" in page
    assert json.loads((out / "A202501.json").read_text())["valid"] is False


@pytest.mark.parametrize("defect, expected", [
    ("short-line", r"ligne 21, colonne PRS_REM_TAU : cellule absente"),
    ("non-numeric-amount", r"ligne 8, colonne FLT_REM_MNT : la valeur « 12,5 » n'est pas du type nombre"),
])
def test_command_line_names_file_line_and_column(tmp_path, capsys, defect, expected):
    path = write_defect(tmp_path, REAL_LINES.read_text().splitlines(), defect)
    assert build.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "INVALIDE" in err
    assert re.search(expected, err)


def test_header_of_another_dataset(tmp_path, capsys):
    path = tmp_path / "A202501.csv"
    path.write_text("annee;region;effectif;\n2024;11;12;\n")
    assert build.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "missing-label" in err and "extra-label" in err and "en-tête non reconnu" in err
