#!/usr/bin/env python3
"""Benchmark: validate + convert one full-size month, side by side with the references.

Prints, on the same generated month (real format, gzipped):
  - our engine: every row validated + Parquet written + checksums (wall, rows/s, peak RSS);
  - `frictionless validate` on the first N rows with the same schema, code lists and rules
    (extrapolated to the whole file, and said so);
  - a plain DuckDB COPY of the file to Parquet with no check;
  - decompression alone (python-isal and zlib): the floor;
and the ratios. Each measure runs in its own process so peak RSS is its own.

    python benchmarks/bench_validate.py                 # 36,640,259 rows (A202501's count)
    python benchmarks/bench_validate.py --rows 2000000  # quicker
    python benchmarks/bench_validate.py --memory-check  # peak RSS at N and 2N rows
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
PACKAGE = ROOT / "datapackages" / "open-damir"
A202501_ROWS = 36_640_259


def run_child(code: str) -> tuple[float, float, str]:
    """Run Python code in a fresh process: (wall seconds, peak RSS in MB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the max over all children so far: measure in increasing order or fresh
    return wall, max(peak, before) / 1024, done.stdout


def child_rss(code: str) -> tuple[float, float, str]:
    """Like run_child, but peak RSS read by the child itself (exact per measure)."""
    wrapped = code + "\nimport resource as _r, json as _j\nprint('RSS', _r.getrusage(_r.RUSAGE_SELF).ru_maxrss)"
    wall, _, out = run_child(wrapped)
    rss = int(out.strip().splitlines()[-1].split()[1]) / 1024
    return wall, rss, out


def generate(rows: int, seed: int = 7) -> Path:
    out = WORK / f"rows-{rows}"
    path = out / "A202501.csv.gz"
    if not path.exists():
        print(f"generating {rows:,} rows into {path} ...", flush=True)
        started = time.perf_counter()
        subprocess.run([sys.executable, "build.py", "sample", "--months", "2025-01", "--rows", str(rows),
                        "--out", str(out), "--seed", str(seed)], cwd=ROOT, check=True)
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def measure_engine(path: Path) -> dict:
    store = WORK / "store"
    code = f"""
import sys, shutil, json; sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
shutil.rmtree({str(store)!r}, ignore_errors=True)
import build
from portal.package import load_package
import time
package = load_package(Path({str(PACKAGE)!r}))
month_dir = Path({str(store)!r}) / "2025-01"
month_dir.mkdir(parents=True)
started = time.perf_counter()
record = build.validate_and_convert(package, Path({str(path)!r}), month_dir)
engine = time.perf_counter() - started
print(json.dumps({{"valid": record["valid"], "rows": record["rows"], "engine": engine, "columns": record["columns"],
                   "files": [f.to_json() for f in record["files"]]}}))
"""
    wall, rss, out = child_rss(code)
    info = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    # stage 4 in a process of its own, so each peak RSS is its own
    aggregate_code = f"""
import sys, time, json; sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import build
from portal.convert import describe
from portal.package import load_package
month_dir = Path({str(store)!r}) / "2025-01"
parquet = month_dir / "A202501.parquet"
record = {{"files": [describe(parquet, "parquet", {info["rows"]})], "columns": {info["columns"]!r}}}
started = time.perf_counter()
build.aggregate_month(load_package(Path({str(PACKAGE)!r})), record, month_dir)
print(json.dumps({{"aggregate": time.perf_counter() - started}}))
"""
    _wall, aggregate_rss, aggregate_out = child_rss(aggregate_code)
    aggregate = json.loads(next(line for line in aggregate_out.splitlines() if line.startswith("{")))["aggregate"]
    return {"wall": info["engine"], "process_wall": wall, "aggregate": aggregate, "aggregate_rss": aggregate_rss,
            "rss": rss, "rows": info["rows"], "valid": info["valid"], "files": info["files"]}


def measure_frictionless(path: Path, rows: int) -> dict:
    head = WORK / "frictionless-head" / "A202501.csv"
    head.parent.mkdir(parents=True, exist_ok=True)
    import gzip
    with gzip.open(path, "rb") as source, open(head, "wb") as target:
        for index, line in enumerate(source):
            if index > rows:
                break
            target.write(line)
    code = f"""
import sys; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
from pathlib import Path
from portal.package import load_package
from frictionless_reference import frictionless_verdicts
verdicts = frictionless_verdicts(load_package(Path({str(PACKAGE)!r})), Path({str(head)!r}), "v3", "2025-01")
print(len(verdicts))
"""
    wall, rss, out = child_rss(code)
    return {"wall": wall, "rss": rss, "rows": rows, "errors": int(out.split()[0])}


def measure_duckdb(path: Path) -> dict:
    target = WORK / "duckdb.parquet"
    code = f"""
import duckdb
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute("SET enable_progress_bar = false")
con.execute(\"\"\"COPY (SELECT * FROM read_csv({str(path)!r}, delim=';', header=true))
TO {str(target)!r} (FORMAT parquet, COMPRESSION zstd)\"\"\")
print(con.execute("SELECT count(*) FROM read_parquet({str(target)!r})").fetchone()[0])
"""
    wall, rss, out = child_rss(code)
    return {"wall": wall, "rss": rss, "rows": int(out.split()[-3]), "bytes": target.stat().st_size}


def measure_decompression(path: Path, module: str) -> dict:
    code = f"""
from {'isal' if module == 'isal' else ''} import {'igzip as g' if module == 'isal' else 'gzip as g'}
total = 0
with g.open({str(path)!r}, "rb") as f:
    while chunk := f.read(1 << 22):
        total += len(chunk)
print(total)
"""
    wall, rss, out = child_rss(code.replace("from  import gzip as g", "import gzip as g"))
    return {"wall": wall, "rss": rss, "bytes": int(out.split()[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=A202501_ROWS)
    parser.add_argument("--frictionless-rows", type=int, default=100_000)
    parser.add_argument("--memory-check", action="store_true", help="peak RSS of our engine at N and 2N rows")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    if args.memory_check:
        for rows in (args.rows, 2 * args.rows):
            engine = measure_engine(generate(rows))
            print(f"our engine, {rows:>12,} rows: {engine['wall']:7.1f} s (+ {engine['aggregate']:.1f} s aggregates), "
                  f"peak RSS {engine['rss']:7.0f} MB")
        return

    path = generate(args.rows)
    size = path.stat().st_size
    print(f"file: {path} ({size / 1e9:.2f} GB gzipped, {args.rows:,} rows)\n", flush=True)
    results = {}
    results["engine"] = measure_engine(path)
    print(f"engine done: {results['engine']['wall']:.1f} s", flush=True)
    results["frictionless"] = measure_frictionless(path, args.frictionless_rows)
    print(f"frictionless done: {results['frictionless']['wall']:.1f} s", flush=True)
    results["duckdb"] = measure_duckdb(path)
    print(f"duckdb done: {results['duckdb']['wall']:.1f} s", flush=True)
    results["isal"] = measure_decompression(path, "isal")
    results["zlib"] = measure_decompression(path, "zlib")

    rows = results["engine"]["rows"]
    engine_rate = rows / results["engine"]["wall"]
    fl_rate = results["frictionless"]["rows"] / results["frictionless"]["wall"]
    duck_rate = results["duckdb"]["rows"] / results["duckdb"]["wall"]
    raw = results["isal"]["bytes"]
    print()
    print(f"{'measure':58} {'wall s':>9} {'rows/s':>11} {'peak RSS MB':>12}")
    print(f"{'our engine: validate every row + Parquet + sha256':58} {results['engine']['wall']:9.1f} {engine_rate:11,.0f} {results['engine']['rss']:12.0f}")
    print(f"{'  then stage 4: aggregates + cube from the Parquet (DuckDB)':58} {results['engine']['aggregate']:9.1f} "
          f"{'':>11} {results['engine']['aggregate_rss']:12.0f}")
    fl_full = rows / fl_rate
    print(f"{'frictionless validate, first %d rows' % results['frictionless']['rows']:58} {results['frictionless']['wall']:9.1f} {fl_rate:11,.0f} {results['frictionless']['rss']:12.0f}")
    print(f"{'  extrapolated to the whole file (not measured)':58} {fl_full:9.0f}")
    print(f"{'DuckDB COPY to Parquet, no check':58} {results['duckdb']['wall']:9.1f} {duck_rate:11,.0f} {results['duckdb']['rss']:12.0f}")
    print(f"{'decompression alone, python-isal (%.0f MB/s)' % (raw / 1e6 / results['isal']['wall']):58} {results['isal']['wall']:9.1f} {'':>11} {results['isal']['rss']:12.0f}")
    print(f"{'decompression alone, zlib (%.0f MB/s)' % (raw / 1e6 / results['zlib']['wall']):58} {results['zlib']['wall']:9.1f} {'':>11} {results['zlib']['rss']:12.0f}")
    print()
    print(f"ratio engine / frictionless rows/s : {engine_rate / fl_rate:8.1f} x   (target >= 120)")
    print(f"ratio engine / DuckDB COPY rows/s  : {engine_rate / duck_rate:8.2f} x   (target >= 1)")
    print(f"engine wall vs isal decompression  : {results['engine']['wall'] / results['isal']['wall']:8.2f} x the floor")
    print(f"targets: wall <= 90 s: {'yes' if results['engine']['wall'] <= 90 else 'NO'}; peak RSS <= 2048 MB: {'yes' if results['engine']['rss'] <= 2048 else 'NO'}")
    parquet = next((f for f in results['engine']['files'] if f['format'] == 'parquet'), None)
    if parquet:
        print(f"Parquet written: {parquet['bytes'] / 1e6:.1f} MB (gzip CSV {size / 1e6:.1f} MB; DuckDB's Parquet {results['duckdb']['bytes'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
