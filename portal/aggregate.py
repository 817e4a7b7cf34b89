"""Sum the validated months: totals and, for every coded column, rows and amount per code.

Reads the month's Parquet (never the CSV again) with DuckDB, in one scan with grouping
sets, and sums amounts as exact decimals: the figures on the site reconcile with the
row-level data to the cent.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from portal.package import DataPackage


def _connect() -> duckdb.DuckDBPyConnection:
    """DuckDB on the two cores, memory capped (it spills to disk past it), silent."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET threads TO 2")
    con.execute("SET memory_limit = '1GB'")
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_aggregates(package: DataPackage, parquet: Path, columns: list[str]) -> dict:
    """{"totals": {measure: euros}, "rows": n, "codes": {column: [[code, rows, amount], ...]}}"""
    amount = package.measures.main_amount
    family = next((f for f in package.measures.families.values() if amount.startswith(f.prefix)), None)
    measures = [c for c in columns if family and c.startswith(family.prefix) and package.field(c).type == "number"]
    coded = [c for c in columns if package.field(c).codelist]
    con = _connect()
    source = f"read_parquet('{parquet.as_posix()}')"
    totals_sql = ", ".join(f"sum(CAST({_quote(m)} AS DECIMAL(38, 2)))" for m in measures)
    row = con.execute(f"SELECT count(*){', ' + totals_sql if totals_sql else ''} FROM {source}").fetchone()
    totals = {m: _euros(v) for m, v in zip(measures, row[1:])}
    codes: dict[str, list] = {}
    if coded:
        sets = ", ".join(f"({_quote(c)})" for c in coded)
        selects = ", ".join(f"{_quote(c)}" for c in coded)
        grouping = ", ".join(f"GROUPING({_quote(c)})" for c in coded)
        query = (f"SELECT {selects}, [{grouping}] AS g, count(*) AS n, "
                 f"sum(CAST({_quote(amount)} AS DECIMAL(38, 2))) AS m "
                 f"FROM {source} GROUP BY GROUPING SETS ({sets})")
        for record in con.execute(query).fetchall():
            flags = record[len(coded)]
            index = flags.index(0)  # the one column this row is grouped by
            column = coded[index]
            codes.setdefault(column, []).append([record[index], record[-2], _euros(record[-1])])
        for column in codes:
            codes[column].sort(key=lambda item: (-item[1], str(item[0])))
    con.close()
    return {"rows": row[0], "amount_field": amount, "totals": totals, "codes": codes}


def _euros(value: Decimal | None) -> float | None:
    """Exact cents as a float with two decimals (JSON has no decimal type)."""
    return None if value is None else float(value.quantize(Decimal("0.01")))


def write_month_cube(package: DataPackage, parquet: Path, columns: list[str], dimensions: list[str],
                     measures: list[str], target: Path) -> Path:
    """The month's compact aggregate: processing month × ``dimensions``, ``measures`` summed
    in exact decimals, and the row count. A dimension the month's header lacks is null."""
    keys = ["FLX_ANN_MOI"] + [d for d in dimensions if d != "FLX_ANN_MOI"]
    select = ", ".join(_quote(d) if d in columns else f"NULL AS {_quote(d)}" for d in keys)
    sums = ", ".join(  # amounts in exact decimals, counts as integers (BIGINT: a sum would be HUGEINT)
        f"sum(CAST({_quote(m)} AS DECIMAL(38, 2))) AS {_quote(m)}" if package.field(m).type == "number"
        else f"CAST(sum({_quote(m)}) AS BIGINT) AS {_quote(m)}"
        for m in measures)
    partial = target.with_name(target.name + ".partial")
    con = _connect()
    con.execute(
        f"COPY (SELECT {select}, {sums}, count(*) AS lignes FROM read_parquet('{parquet.as_posix()}') "
        f"GROUP BY ALL ORDER BY ALL) TO '{partial.as_posix()}' (FORMAT parquet, COMPRESSION zstd)")
    con.close()
    partial.replace(target)
    csv_target = target.with_suffix(".csv")  # the same cube for spreadsheets, written once per month
    con = _connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{target.as_posix()}')) TO '{csv_partial(csv_target).as_posix()}' "
                "(FORMAT csv, HEADER true)")
    con.close()
    csv_partial(csv_target).replace(csv_target)
    return target


def csv_partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")
