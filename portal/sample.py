"""Write synthetic monthly extracts in the producer's exact format, with realistic content.

Real files cannot be fetched here, so tests, benchmarks and the embedded default use
synthetic months. What makes them realistic is data declared in the package
(``sample/profils.yaml``): real marginal frequencies of every code, profiles that tie
columns together (a pharmacy line has a pharmacist executant...), measure shapes, care
months spread before the processing month, and derived columns computed with the same
formulas the validation checks. Generation is vectorised (NumPy + Arrow) and chunked, so a
full-size month (36.6 M rows) is written in minutes with bounded memory. A seed fixes
every byte of the output.
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from portal.errors import PackageError, PortalError
from portal.formula import Formula
from portal.package import DataPackage, HeaderVersion

try:
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover
    import gzip as _gzip

CHUNK_ROWS = 500_000


def parse_months(text: str) -> list[str]:
    """'2024-01..2025-03' -> ['2024-01', ..., '2025-03']; a single month is allowed."""
    match = re.fullmatch(r"(\d{4})-(\d{2})(?:\.\.(\d{4})-(\d{2}))?", text.strip())
    if not match:
        raise PortalError(f"--months « {text} » invalide : attendu AAAA-MM ou AAAA-MM..AAAA-MM")
    y1, m1 = int(match[1]), int(match[2])
    y2, m2 = (int(match[3]), int(match[4])) if match[3] else (y1, m1)
    if not (1 <= m1 <= 12 and 1 <= m2 <= 12) or (y2, m2) < (y1, m1):
        raise PortalError(f"--months « {text} » invalide : mois hors de 01..12 ou intervalle à l'envers")
    months = []
    year, month = y1, m1
    while (year, month) <= (y2, m2):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass
class _Choice:
    values: np.ndarray
    weights: np.ndarray

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.values[rng.choice(len(self.values), size=size, p=self.weights)]


def _choice(spec, numeric: bool = True) -> _Choice:
    if isinstance(spec, dict):
        values, weights = list(spec.keys()), np.array(list(spec.values()), dtype=float)
    else:
        values, weights = [spec], np.array([1.0])
    array = np.array(values, dtype=np.int64) if numeric else np.array([str(v) for v in values], dtype=object)
    return _Choice(array, weights / weights.sum())


class SampleGenerator:
    """Draws rows for one package from its sample profiles."""

    def __init__(self, package: DataPackage):
        if package.sample is None:
            raise PackageError(f"{package.root}: portal.yaml n'a pas de section sample")
        self.package = package
        root = package.root
        self.config = yaml.safe_load((root / package.sample.profiles).read_text(encoding="utf-8"))
        self.string_fields = {f.name for f in package.fields if f.type == "string"}
        self.marginals = self._load_marginals(root / package.sample.frequencies)
        self.categories = self._load_categories(root / self.config["categories"])
        self.derived = [(name, Formula(text)) for name, text in self.config.get("derived", {}).items()]
        care = self.config["care_period"]
        self._padded = {care["year_field"]: 4, care["month_field"]: 2}  # zero-padded text columns

    # -- inputs --------------------------------------------------------------------------

    def _load_marginals(self, path: Path) -> dict[str, _Choice]:
        counts: dict[str, dict] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                counts.setdefault(row["dimension"], {})[row["cle"]] = int(row["nb_val_jan24"] or 0)
        marginals = {}
        for f in self.package.fields:
            codelist = self.package.codelist_of(f.name)
            if codelist is None:
                continue
            seen = counts.get(f.name, {})
            numeric = f.type == "integer"
            codes = codelist.code_values
            weights = np.array([seen.get(str(c), 0) for c in codes], dtype=float)
            if weights.sum() == 0:  # no real counts (list absent from A202401): favour "unknown"-like last codes
                weights = np.ones(len(codes))
            values = np.array(codes, dtype=np.int64) if numeric else np.array([str(c) for c in codes], dtype=object)
            marginals[f.name] = _Choice(values, weights / weights.sum())
        return marginals

    def _load_categories(self, path: Path) -> dict[str, _Choice]:
        field_name = self.config["category_field"]
        base = self.marginals[field_name]
        weights_by_code = dict(zip(base.values.tolist(), base.weights.tolist()))
        all_codes = np.array(self.package.codelist_of(field_name).code_values, dtype=np.int64)
        categories: dict[str, list] = {}
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                low, high = int(row["code_min"]), int(row["code_max"])
                categories.setdefault(row["categorie"], []).extend(c for c in all_codes.tolist() if low <= c <= high)
        result = {}
        for name, codes in categories.items():
            weights = np.array([weights_by_code.get(c, 0.0) for c in codes])
            if weights.sum() == 0:
                weights = np.ones(len(codes))
            result[name] = _Choice(np.array(codes, dtype=np.int64), weights / weights.sum())
        return result

    # -- drawing ---------------------------------------------------------------------------

    def rows(self, month: str, version: HeaderVersion, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Draw ``n`` rows: codes as int64 or object arrays, amounts as int64 cents."""
        cols: dict[str, np.ndarray] = {name: choice.draw(rng, n) for name, choice in self.marginals.items()}
        strong = {name: np.zeros(n, bool) for name in cols}
        defaults: list[tuple[np.ndarray, dict]] = []
        amount_profile = np.full(n, -1)
        flat_profiles = []
        for layer in self.config["layers"]:
            profiles = layer["profiles"]
            weights = np.array([p["weight"] for p in profiles], float)
            drawn = rng.choice(len(profiles), size=n, p=weights / weights.sum())
            for index, profile in enumerate(profiles):
                rows = np.flatnonzero(drawn == index)
                if not len(rows):
                    continue
                for column, spec in (profile.get("set") or {}).items():
                    cols[column][rows] = _choice(spec, column not in self.string_fields).draw(rng, len(rows))
                    strong[column][rows] = True
                if profile.get("defaults"):
                    defaults.append((rows, profile["defaults"]))
                if "category" in profile:
                    names = profile["category"] if isinstance(profile["category"], list) else [profile["category"]]
                    field_name = self.config["category_field"]
                    choice = self._merged_categories(names)
                    cols[field_name][rows] = choice.draw(rng, len(rows))
                if "amounts" in profile:
                    amount_profile[rows] = len(flat_profiles)
                    flat_profiles.append(profile)
        for rows, spec in defaults:
            for column, value in spec.items():
                free = rows[~strong[column][rows]]
                cols[column][free] = _choice(value, column not in self.string_fields).draw(rng, len(free))
        self._care_period(cols, month, n, rng)
        self._measures(cols, amount_profile, flat_profiles, n, rng)
        for name, spec in (self.config.get("helpers") or {}).items():
            cols[name] = _choice(spec).draw(rng, n)
        return cols

    def _merged_categories(self, names: list[str]) -> _Choice:
        parts = [self.categories[name] for name in names]
        values = np.concatenate([p.values for p in parts])
        weights = np.concatenate([p.weights for p in parts])
        return _Choice(values, weights / weights.sum())

    def _care_period(self, cols, month: str, n: int, rng: np.random.Generator) -> None:
        care = self.config["care_period"]
        year, mon = int(month[:4]), int(month[5:])
        cols[care["processing_field"]] = np.full(n, year * 100 + mon, dtype=np.int64)
        lags = _choice(care["lag_months"]).draw(rng, n)
        index = year * 12 + (mon - 1) - lags
        years, months = index // 12, index % 12 + 1
        unknown = rng.random(n) < care.get("unknown_share", 0)
        cols[care["year_field"]] = np.where(unknown, 0, years)
        cols[care["month_field"]] = np.where(unknown, 0, months)

    def _measures(self, cols, profile_of_row: np.ndarray, profiles: list[dict], n: int, rng) -> None:
        m = self.config["measures"]
        quantity = np.ones(n, dtype=np.int64)
        expense = np.zeros(n, dtype=np.int64)
        excess = np.zeros(n, dtype=np.int64)
        rate = np.full(n, 100, dtype=np.int64)
        reimbursed = np.zeros(n, dtype=np.int64)
        deduction = np.zeros(n, dtype=bool)
        for index, profile in enumerate(profiles):
            rows = np.flatnonzero(profile_of_row == index)
            if not len(rows):
                continue
            shape = profile["amounts"]
            k = len(rows)
            quantity[rows] = 1 + rng.poisson(max(shape.get("quantity_mean", 1) - 1, 0), k)
            rate[rows] = _choice(shape.get("rate", {100: 1})).draw(rng, k)
            if profile.get("deduction"):
                deduction[rows] = True
                reimbursed[rows] = -quantity[rows] * int(round(shape.get("unit", 1) * 100))
                continue
            euros = rng.lognormal(math.log(shape["median"]), shape["sigma"], k) * np.maximum(quantity[rows] / 2, 1)
            small = rng.random(k) < m.get("small_share", 0)  # fees and adjustments of a few cents to euros
            euros = np.where(small, rng.lognormal(math.log(0.8), 0.7, k), euros)
            expense[rows] = np.maximum(np.round(euros * 100), 1).astype(np.int64)
            with_excess = rng.random(k) < shape.get("excess_share", 0)
            excess[rows] = np.where(with_excess, np.round(expense[rows] * rng.uniform(0.1, 0.5, k)), 0).astype(np.int64)
        base = expense - excess
        reimbursed = np.where(deduction, reimbursed, np.round(base * rate / 100).astype(np.int64))
        negative = rng.random(n) < m.get("negative_share", 0)
        sign = np.where(negative, -1, 1)
        count = quantity * sign
        cols[m["quantity"]] = quantity * sign
        cols[m["coefficient"]] = quantity * sign * 100  # in cents, like amounts: COG is a number
        cols[m["expense"]] = expense * sign
        cols[m["excess"]] = excess * sign
        cols[m["base"]] = base * sign
        cols[m["reimbursed"]] = reimbursed * sign
        cols[m["rate"]] = rate * 100
        empty = rng.random(n) < m.get("count_empty_share", 0)
        cols[m["count"]] = np.ma.masked_array(count, mask=empty)

    # -- formatting --------------------------------------------------------------------------

    def format_chunk(self, cols: dict[str, np.ndarray], version: HeaderVersion) -> bytes:
        """Lines in the producer's format: ';' after every value, amounts as '.61'/'-.57'."""
        arrow = {}
        for name, values in cols.items():
            if isinstance(values, np.ma.MaskedArray):
                arrow[name] = pa.array(values.data, mask=values.mask)
            elif values.dtype == object:
                arrow[name] = pa.array(values.tolist(), pa.string())
            else:
                arrow[name] = pa.array(values)
        for name, formula in self.derived:
            arrow[name] = formula(arrow)
        parts = []
        fields = {f.name: f for f in self.package.fields}
        for name in version.columns:
            values = arrow[name]
            if name in self._padded:
                text = pc.utf8_lpad(pc.cast(values, pa.string()), self._padded[name], "0")
            elif fields[name].type == "number":
                text = _format_cents(values)
            else:
                text = pc.cast(values, pa.string())
            parts.append(text.fill_null(""))
        lines = pc.binary_join_element_wise(*parts, pa.scalar(""), ";")
        lines = pc.binary_join_element_wise(lines, pa.scalar("\n"), "")
        return _string_bytes(lines)

    def header(self, version: HeaderVersion) -> bytes:
        delimiter = self.package.extract.delimiter
        trailing = delimiter if self.package.extract.trailing_delimiter else ""
        return (delimiter.join(version.columns) + trailing + "\n").encode("ascii")


_FRACTIONS = pa.array([""] + [f".{i:02d}".rstrip("0") for i in range(1, 100)], pa.string())


def _format_cents(cents: pa.Array) -> pa.Array:
    """Integer cents -> the producer's decimal text: 5, 4.4, .61, -.57, 0."""
    values = cents.to_numpy(zero_copy_only=False)
    negative = values < 0
    magnitude = np.abs(values)
    whole, fraction = magnitude // 100, magnitude % 100
    whole_text = pc.cast(pa.array(whole), pa.string())
    whole_text = pc.if_else(pa.array((whole == 0) & (fraction != 0)), pa.scalar(""), whole_text)
    sign = pc.if_else(pa.array(negative), pa.scalar("-"), pa.scalar(""))
    return pc.binary_join_element_wise(sign, whole_text, _FRACTIONS.take(pa.array(fraction)), "")


def _string_bytes(strings: pa.Array) -> bytes:
    """The concatenated bytes of a string array, without a Python string per row."""
    strings = strings.combine_chunks() if isinstance(strings, pa.ChunkedArray) else strings
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int32, count=len(strings) + 1, offset=strings.offset * 4)
    data = strings.buffers()[2]
    return data.to_pybytes()[offsets[0]:offsets[-1]]


def write_month(package: DataPackage, month: str, rows: int, out_dir: Path, seed: int,
                generator: SampleGenerator | None = None, compresslevel: int = 2) -> Path:
    """Write one month, ``A{YYYY}{MM}.csv.gz``; same seed and month, same bytes."""
    generator = generator or SampleGenerator(package)
    version = next((v for v in package.extract.header_versions if v.covers(month)), package.extract.header_versions[-1])
    name = package.extract.file_name.format(year=month[:4], month=month[5:])
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    temporary = path.with_name(path.name + ".partial")
    month_seed = seed * 1_000_003 + int(month.replace("-", ""))
    with open(temporary, "wb") as raw, _gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=compresslevel, mtime=0,
                                                      filename="") as out:
        out.write(generator.header(version))
        for start in range(0, rows, CHUNK_ROWS):
            n = min(CHUNK_ROWS, rows - start)
            rng = np.random.default_rng([month_seed, start])
            out.write(generator.format_chunk(generator.rows(month, version, n, rng), version))
    temporary.replace(path)
    return path


def write_sample(package: DataPackage, months: list[str], rows: int, out_dir: Path, seed: int,
                 progress=None) -> list[Path]:
    generator = SampleGenerator(package)
    paths = []
    for month in months:
        paths.append(write_month(package, month, rows, Path(out_dir), seed, generator))
        if progress:
            progress(month, paths[-1])
    return paths
