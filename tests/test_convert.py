import csv
import gzip

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import build
from conftest import REAL_LINES
from portal.convert import storage_type


def rows_of_csv(text):
    reader = csv.reader(text.splitlines(), delimiter=";")
    header = next(reader)[:-1]
    return header, [line[:-1] for line in reader]


def check_roundtrip(package, source_text, parquet_path):
    header, lines = rows_of_csv(source_text)
    table = pq.read_table(parquet_path)
    assert table.column_names == header and table.num_rows == len(lines)
    data = table.to_pylist()
    types = {f.name: f.type for f in package.fields}
    for row, line in zip(data, lines):
        for name, text in zip(header, line):
            value = row[name]
            if text == "":
                assert value is None
            elif types[name] == "integer":
                assert value == int(text)
            elif types[name] == "number":
                assert value == float(text) and repr(float(text)) == repr(value)
            else:
                assert value == text


def test_real_lines_roundtrip_through_parquet(package, real_file, tmp_path):
    record = build.process_month(package, real_file, tmp_path / "store")
    assert record["valid"]
    parquet = next(f for f in record["files"] if f.format == "parquet")
    check_roundtrip(package, REAL_LINES.read_text(), parquet.path)
    schema = pq.read_schema(parquet.path)
    assert schema.field("PRS_NAT").type == pa.int16() and schema.field("AGE_BEN_SNDS").type == pa.int8()
    assert schema.field("FLT_REM_MNT").type == pa.float64() and schema.field("SOI_MOI").type == pa.string()
    assert schema.field("FLX_ANN_MOI").type == pa.int32()
    # DuckDB reads it with the right types, and sums to the cent
    con = duckdb.connect()
    total = con.execute(f"SELECT round(sum(FLT_REM_MNT), 2), typeof(PRS_NAT) FROM '{parquet.path}' GROUP BY 2").fetchone()
    expected = sum(float(line[28]) for line in rows_of_csv(REAL_LINES.read_text())[1])
    assert abs(total[0] - expected) < 0.005 and total[1] == "SMALLINT"


def test_generated_month_roundtrip_and_checksums(package, generated_month, tmp_path):
    record = build.process_month(package, generated_month, tmp_path / "store")
    files = {f.format: f for f in record["files"]}
    check_roundtrip(package, gzip.decompress(generated_month.read_bytes()).decode(), files["parquet"].path)
    assert files["csv"].path.read_bytes() == generated_month.read_bytes()  # republished byte for byte
    assert files["csv"].rows == files["parquet"].rows == 4000
    assert files["parquet"].bytes == files["parquet"].path.stat().st_size
    assert len(files["csv"].sha256) == 64


def test_invalid_month_leaves_no_parquet(package, tmp_path):
    lines = REAL_LINES.read_text().splitlines()
    lines[5] = lines[5].replace(";10;0;0;", ";10;0;abc;", 1)
    path = tmp_path / "A202501.csv"
    path.write_text("\n".join(lines) + "\n")
    record = build.process_month(package, path, tmp_path / "store")
    assert not record["valid"] and record["files"] == []
    leftovers = sorted(p.name for p in (tmp_path / "store" / "2025-01").iterdir())
    assert leftovers == ["source.json", "validation.json"]  # the report and the source's hash stamp, no data


def test_code_columns_use_small_integers(package):
    assert storage_type(package, "PRS_NAT") == pa.int16()
    assert storage_type(package, "BEN_SEX_COD") == pa.int8()
    assert storage_type(package, "PRS_ACT_QTE") == pa.int64()
