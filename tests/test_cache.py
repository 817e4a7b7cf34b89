import os
import shutil

from conftest import REAL_LINES
from portal import cache


def test_source_hash_is_reused_while_size_and_date_are_unchanged(tmp_path):
    source = tmp_path / "A202501.csv"
    shutil.copyfile(REAL_LINES, source)
    month_dir = tmp_path / "store" / "2025-01"
    first = cache.source_sha256(source, month_dir)
    assert first == cache.file_sha256(source)
    # same size, same date, other bytes: trusted without re-reading...
    stat = source.stat()
    data = bytearray(source.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
    source.write_bytes(bytes(data))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert cache.source_sha256(source, month_dir) == first
    # ...unless asked to verify
    assert cache.source_sha256(source, month_dir, verify=True) == cache.file_sha256(source) != first
    # a new date is enough to re-read
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert cache.source_sha256(source, month_dir) == cache.file_sha256(source)


def test_month_key_changes_with_the_package_fingerprint(tmp_path, package):
    source = tmp_path / "A202501.csv"
    shutil.copyfile(REAL_LINES, source)
    fingerprint = cache.package_fingerprint(package)
    assert cache.month_key(source, fingerprint) == cache.month_key(source, fingerprint, tmp_path / "m")
    assert cache.month_key(source, fingerprint) != cache.month_key(source, fingerprint[::-1])


def test_stored_record_is_ignored_when_a_file_is_missing(tmp_path):
    month_dir = tmp_path / "2025-01"
    month_dir.mkdir()
    (month_dir / "A202501.parquet").write_bytes(b"x")
    cache.save(month_dir, "k", {"month": "2025-01", "files": [{"name": "A202501.parquet"}]})
    assert cache.load(month_dir, "k")["month"] == "2025-01"
    assert cache.load(month_dir, "other") is None
    (month_dir / "A202501.parquet").unlink()
    assert cache.load(month_dir, "k") is None
