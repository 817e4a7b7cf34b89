#!/usr/bin/env python3
"""Benchmark: adding one month to a history of 24 re-does only that month's heavy steps.

Generates 25 months (--rows each, real format), builds the site from the first 24, then
adds the 25th and builds again. Prints, side by side: the new month's own cost (its
validation + conversion + aggregation, measured alone), the incremental build, and the
overhead of the incremental build beyond that cost (target: at most 15 s). Also checks
that a rebuild with nothing new re-reads no month.

    python benchmarks/bench_incremental.py                 # 25 months of 1,000,000 rows
    python benchmarks/bench_incremental.py --rows 200000   # quicker
"""
from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "benchmarks" / "work" / "incremental"


def timed_build(data: Path, site: Path, cache: Path) -> tuple[float, str]:
    import build
    log = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stderr(log):
        build.build(ROOT / "datapackages", site, cache, data_dir=data)
    return time.perf_counter() - started, log.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    months_dir = WORK / f"rows-{args.rows}"
    if not (months_dir / "A202501.csv.gz").exists():
        print(f"generating 25 months of {args.rows:,} rows ...", flush=True)
        subprocess.run([sys.executable, "build.py", "sample", "--months", "2023-01..2025-01", "--rows",
                        str(args.rows), "--out", str(months_dir), "--seed", "5"], cwd=ROOT, check=True,
                       stderr=subprocess.DEVNULL)
    data, site, cache = WORK / "data", WORK / "site", WORK / "cache"
    for folder in (data, site, cache):
        shutil.rmtree(folder, ignore_errors=True)
    data.mkdir(parents=True)
    months = sorted(months_dir.glob("A*.csv.gz"))
    assert len(months) == 25
    for path in months[:24]:
        (data / path.name).hardlink_to(path)

    first, _ = timed_build(data, site, cache)
    print(f"first build, 24 months: {first:.1f} s", flush=True)
    unchanged, log = timed_build(data, site, cache)
    reread = log.count("lignes valides")
    print(f"rebuild, nothing new: {unchanged:.1f} s ({reread} month re-read)", flush=True)

    # the new month's own cost, alone, in a scratch store
    import build
    from portal.package import load_package
    package = load_package(ROOT / "datapackages" / "open-damir")
    scratch = WORK / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    with contextlib.redirect_stderr(io.StringIO()):
        started = time.perf_counter()
        build.process_month(package, months[24], scratch)
        month_cost = time.perf_counter() - started

    (data / months[24].name).hardlink_to(months[24])
    incremental, log = timed_build(data, site, cache)
    reread = log.count("lignes valides")
    overhead = incremental - month_cost
    print()
    print(f"{'measure':52} {'wall s':>8}")
    print(f"{'new month alone (validate + convert + aggregate)':52} {month_cost:8.1f}")
    print(f"{'incremental build: 24 cached + 1 new month':52} {incremental:8.1f}")
    print(f"{'overhead beyond the new month (target <= 15 s)':52} {overhead:8.1f}   "
          f"{'yes' if overhead <= 15 else 'NO'}")
    print(f"{'rebuild with nothing new':52} {unchanged:8.1f}")
    print(f"{'first build of 24 months':52} {first:8.1f}")
    print(f"months re-read by the incremental build: {reread} (expected 1)")


if __name__ == "__main__":
    main()
