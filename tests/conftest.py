import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from portal.package import load_package  # noqa: E402

PACKAGE_DIR = ROOT / "datapackages" / "open-damir"
REAL_LINES = PACKAGE_DIR / "data" / "reference" / "A202501_echantillon_reel.csv"


@pytest.fixture(scope="session")
def package():
    return load_package(PACKAGE_DIR)


@pytest.fixture
def real_file(tmp_path):
    """The 94 real lines under their month's name, as a test can change them."""
    target = tmp_path / "A202501.csv"
    shutil.copyfile(REAL_LINES, target)
    return target


@pytest.fixture(scope="session")
def generated_month(tmp_path_factory, package):
    from portal.sample import write_month
    return write_month(package, "2025-01", 4000, tmp_path_factory.mktemp("generated"), seed=3)
