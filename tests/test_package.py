import json
import re
import shutil

import pytest
import yaml

from conftest import PACKAGE_DIR, ROOT
from portal.errors import PackageError
from portal.package import load_package, published_schema


def test_schema_has_the_56_columns_of_the_2025_header(package):
    assert len(package.fields) == 56
    assert package.fields[0].name == "FLX_ANN_MOI" and package.fields[-1].name == "ETB_DCS_MCO"
    types = {f.name: f.type for f in package.fields}
    assert types["SOI_ANN"] == types["SOI_MOI"] == types["ETB_DCS_MCO"] == "string"
    assert types["FLT_REM_MNT"] == types["PRS_REM_TAU"] == "number"
    assert types["PRS_NAT"] == types["FLX_ANN_MOI"] == "integer"
    optional = {f.name for f in package.fields if not f.required}
    assert optional == {"PRS_ACT_NBR", "FLT_ACT_NBR"}


def test_header_versions_follow_the_documented_periods(package):
    versions = {v.id: v for v in package.extract.header_versions}
    assert len(versions["v1"].columns) == 55 and "ETB_DCS_MCO" not in versions["v1"].columns
    assert len(versions["v2"].columns) == 54
    assert "TOP_PS5_TRG" not in versions["v2"].columns and "PSP_STJ_SNDS" not in versions["v2"].columns
    assert len(versions["v3"].columns) == 56
    assert versions["v2"].covers("2024-01") and versions["v3"].covers("2025-01") and not versions["v3"].covers("2024-09")


def test_code_lists_keep_official_quirks(package):
    assert len(package.codelists) == 45  # 44 official lists + the unofficial ETB_DCS_MCO one
    ete = package.codelists["ete_cat_snds"]
    labels_1103 = [c.label for c in ete.codes if c.code == 1103]
    assert len(labels_1103) == 2
    assert "1103" in ete.description
    assert "avril 2021" in package.codelists["ben_cmu_top"].description
    etb = package.codelists["etb_dcs_mco"]
    assert not etb.official and {c.code for c in etb.codes} >= {"C", "M", "Z"}
    assert len(package.codelists["prs_nat"].codes) == 1570
    assert package.codelists["prs_nat"].extra_column == "code_b2"


def test_every_coded_column_points_to_its_list(package):
    coded = [f for f in package.fields if f.codelist]
    assert len(coded) == 39
    for f in coded:
        assert package.codelists[f.codelist].variable == f.name


def test_published_schema_file_is_derived_from_the_schema(package):
    on_disk = json.loads((PACKAGE_DIR / "schemas" / "extrait-publie.schema.json").read_text())
    assert on_disk == published_schema(package, package.extract.header_versions[-1])
    assert on_disk["fields"][-1]["name"] == "FIN_DE_LIGNE"


def test_descriptor_and_code_lists_validate_with_frictionless():
    from frictionless import Package
    report = Package(str(PACKAGE_DIR / "datapackage.json")).validate()
    assert report.valid, report.flatten(["type", "note"])[:5]
    assert report.tasks[0].stats["rows"] == 94  # the real lines, foreign keys included


def _copy_package(tmp_path):
    target = tmp_path / "pkg"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("echantillon"))
    return target


def test_unknown_key_in_portal_yaml_is_an_error(tmp_path):
    root = _copy_package(tmp_path)
    config = yaml.safe_load((root / "portal.yaml").read_text())
    config["validation"]["max_sample"] = 3  # typo of max_samples
    (root / "portal.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(PackageError, match="max_sample"):
        load_package(root)


def test_bad_severity_and_unknown_excluded_column_are_errors(tmp_path):
    root = _copy_package(tmp_path)
    config = yaml.safe_load((root / "portal.yaml").read_text())
    config["validation"]["severities"][0]["severity"] = "fatal"
    (root / "portal.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(PackageError, match="fatal"):
        load_package(root)
    config["validation"]["severities"][0]["severity"] = "warning"
    config["extract"]["header_versions"][0]["exclude"] = ["NOT_A_COLUMN"]
    (root / "portal.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    with pytest.raises(PackageError, match="NOT_A_COLUMN"):
        load_package(root)


def _keys(data, prefix=""):
    if isinstance(data, dict):
        for key, value in data.items():
            yield f"{prefix}{key}"
            yield from _keys(value, f"{prefix}{key}.")
    elif isinstance(data, list):
        for item in data:
            yield from _keys(item, prefix)


def test_every_portal_yaml_key_is_documented():
    documentation = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_.*]+)`", documentation))
    config = yaml.safe_load((PACKAGE_DIR / "portal.yaml").read_text())
    keys = {re.sub(r"families\.[A-Z]+", "families.*", k) for k in _keys(config)}
    missing = sorted(k for k in keys if k not in documented)
    assert not missing, f"keys of portal.yaml not documented in docs/configuration.md: {missing}"


def test_every_site_yaml_key_is_documented():
    documentation = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_.*]+)`", documentation))
    config = yaml.safe_load((ROOT / "site.yaml").read_text())
    missing = sorted(k for k in ("site." + key for key in _keys(config)) if k not in documented)
    assert not missing, f"keys of site.yaml not documented in docs/configuration.md: {missing}"


def test_unknown_site_yaml_key_is_an_error(tmp_path):
    from portal.config import load_site_config
    path = tmp_path / "site.yaml"
    path.write_text("title: x\nbase_ulr: https://exemple.fr/\n")
    with pytest.raises(PackageError, match="base_ulr"):
        load_site_config(path)
