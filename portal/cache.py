"""Keyed results of the expensive steps: a step is re-run only when its inputs change.

A month's key is the sha256 of its source file (re-read only when its size or date
changed, or on demand) together with a fingerprint of
everything that decides its verdict and its Parquet: the schema, the code lists,
``portal.yaml`` and the source of the modules that read, validate and convert.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import portal
from portal.convert import file_sha256
from portal.package import DataPackage

PORTAL_DIR = Path(portal.__file__).resolve().parent
STEP_MODULES = ("read.py", "validate.py", "convert.py", "formula.py", "package.py", "aggregate.py", "cache.py",
                "chart.py")
BUILD_SCRIPT = PORTAL_DIR.parent / "build.py"  # process_month lives there


def package_fingerprint(package: DataPackage) -> str:
    digest = hashlib.sha256()
    inputs = [package.extract.schema_path, package.root / "portal.yaml", package.root / "datapackage.json"]
    inputs += [path for path in (package.root / "charts.yaml",) if path.exists()]
    inputs += sorted(c.path for c in package.codelists.values())
    inputs += [PORTAL_DIR / name for name in STEP_MODULES]
    if BUILD_SCRIPT.exists():
        inputs.append(BUILD_SCRIPT)
    for path in inputs:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _stamp(source: Path) -> dict:
    stat = source.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "name": source.name}


def known_sha256(source: Path, month_dir: Path) -> str | None:
    """The sha256 stored with the month for this file, if its size and modification time
    are unchanged (re-hashing 24 GB of history at each build would cost more than the new
    month), else None."""
    try:
        stored = json.loads((month_dir / "source.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    stamp = _stamp(source)
    return stored.get("sha256") if {k: stored.get(k) for k in stamp} == stamp else None


def remember_sha256(source: Path, month_dir: Path, digest: str) -> None:
    month_dir.mkdir(parents=True, exist_ok=True)
    (month_dir / "source.json").write_text(json.dumps({**_stamp(source), "sha256": digest}), encoding="utf-8")


def source_sha256(source: Path, month_dir: Path, verify: bool = False) -> str:
    """sha256 of a source file: the remembered one while the file is unchanged in size and
    date, else (or with ``verify``) read again and remembered."""
    digest = None if verify else known_sha256(source, month_dir)
    if digest is None:
        digest = file_sha256(source)
        remember_sha256(source, month_dir, digest)
    return digest


def key_for(digest: str, fingerprint: str) -> str:
    return hashlib.sha256(f"{digest}:{fingerprint}".encode()).hexdigest()


def month_key(source: Path, fingerprint: str, month_dir: Path | None = None, verify: bool = False) -> str:
    digest = source_sha256(source, month_dir, verify) if month_dir is not None else file_sha256(source)
    return key_for(digest, fingerprint)


def load(month_dir: Path, key: str) -> dict | None:
    """The stored record for ``key``, if it and every file it names are still there."""
    path = month_dir / "record.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("key") != key:
        return None
    if not all((month_dir / f["name"]).exists() for f in record.get("files", [])):
        return None
    return record


def save(month_dir: Path, key: str, record: dict) -> None:
    path = month_dir / "record.json"
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({**record, "key": key}, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)
