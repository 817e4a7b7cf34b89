"""Read extracts exactly as the producer publishes them, streaming, in bounded memory.

Open DAMIR files are gzip (or plain) CSV: ``;`` separator, no quoting, ASCII, LF, and a
trailing ``;`` on every line, header included. Columns are matched by name against the
declared header versions; values are parsed by Arrow's multi-threaded CSV reader in
blocks, fed by a decompressor (python-isal when installed, about three times zlib's speed)
that also hashes the compressed bytes, so a file is read once for checksum and content.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import queue
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from portal.errors import ExtractError
from portal.package import DataPackage, HeaderVersion

try:  # python-isal: same gzip format, about three times zlib's speed, in its own thread
    from isal import igzip_threaded as _gzip_threaded
except ImportError:  # pragma: no cover - isal is a declared dependency
    _gzip_threaded = None

GZIP_MAGIC = b"\x1f\x8b"

ARROW_TYPES = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}


class _HashingReader(io.RawIOBase):
    """Passes reads through while hashing and counting the raw (compressed) bytes."""

    def __init__(self, raw):
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self.sha256.update(memoryview(buffer)[:count])
            self.bytes += count
        return count

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class OpenedExtract:
    """A decompressed byte stream plus the hash of the bytes on disk."""

    path: Path
    stream: io.BufferedIOBase
    hashing: _HashingReader
    compressed: bool

    def finish_hash(self) -> tuple[str, int]:
        """Drain what the parser did not read (nothing, normally) and return (sha256, bytes)."""
        while self.hashing.read(1 << 20):
            pass
        return self.hashing.sha256.hexdigest(), self.hashing.bytes

    def close(self) -> None:
        self.stream.close()


def open_extract(path: Path, threaded: bool = True) -> OpenedExtract:
    """Open a file whether gzip or plain, by its magic bytes rather than its name."""
    path = Path(path)
    try:
        raw = path.open("rb", buffering=0)
    except OSError as exc:
        raise ExtractError(path, f"lecture impossible : {exc.strerror or exc}") from exc
    hashing = _HashingReader(raw)
    buffered = io.BufferedReader(hashing, buffer_size=1 << 20)
    compressed = buffered.peek(2)[:2] == GZIP_MAGIC
    if compressed and threaded and _gzip_threaded is not None:
        # Decompression runs in a thread of its own, beside Arrow's parsing threads.
        stream = _gzip_threaded.open(buffered, "rb", threads=1, block_size=4 << 20)
    elif compressed:
        stream = gzip.GzipFile(fileobj=buffered, mode="rb")
    else:
        stream = buffered
    return OpenedExtract(path, stream, hashing, compressed)


def decompression_error(path: Path, exc: BaseException, line: int | None = None) -> ExtractError:
    text = str(exc)
    if isinstance(exc, EOFError) or "end-of-stream" in text or "ended before" in text:
        message = "fichier gzip tronqué : il se termine avant la fin du flux compressé (téléchargement incomplet ?)"
    elif isinstance(exc, (zlib.error, gzip.BadGzipFile)) or "gzip" in text.lower() or "invalid" in text.lower() and "compress" in text.lower():
        message = f"fichier gzip corrompu ({text})"
    else:
        message = f"lecture impossible ({text})"
    return ExtractError(path, message, line=line)


READ_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, OSError)  # what reading a file can raise


def read_header(path: Path, delimiter: str, trailing_delimiter: bool) -> list[str]:
    """Return the column labels of the first line, checked for format before any parsing."""
    opened = open_extract(path, threaded=False)
    try:
        try:
            first = opened.stream.readline(1 << 16)
        except READ_ERRORS as exc:
            raise decompression_error(path, exc, line=1) from exc
    finally:
        opened.close()
    if not first:
        raise ExtractError(path, "fichier vide : aucune ligne d'en-tête", line=1)
    if b"\x00" in first or not first.endswith(b"\n") and len(first) >= 1 << 16:
        raise ExtractError(path, "fichier binaire ou sans fin de ligne : ce n'est pas un CSV", line=1)
    try:
        text = first.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ExtractError(
            path, f"octet non ASCII en position {exc.start + 1} de l'en-tête : fichier binaire ou mal encodé", line=1
        ) from exc
    if delimiter not in text:
        found = next((c for c in (",", "\t", "|") if c in text), None)
        hint = f" ; le séparateur trouvé semble être « {found} »" if found else ""
        raise ExtractError(path, f"séparateur « {delimiter} » absent de la ligne d'en-tête{hint}", line=1)
    labels = text.split(delimiter)
    if trailing_delimiter:
        if labels[-1] != "":
            raise ExtractError(path, f"la ligne d'en-tête ne se termine pas par « {delimiter} » comme le format l'exige", line=1)
        labels = labels[:-1]
    return labels


@dataclass
class HeaderMatch:
    """How a file's labels compare with the declared header versions."""

    labels: list[str]
    version: HeaderVersion | None  # None: no version matches exactly
    closest: HeaderVersion
    missing: list[str] = field(default_factory=list)  # expected, absent
    extra: list[str] = field(default_factory=list)  # present, not expected
    misplaced: list[tuple[int, str, str]] = field(default_factory=list)  # (position 1-based, found, expected)

    @property
    def ok(self) -> bool:
        return self.version is not None

    def describe(self) -> str:
        parts = []
        if self.missing:
            parts.append("colonnes manquantes : " + ", ".join(self.missing))
        if self.extra:
            parts.append("colonnes en trop : " + ", ".join(self.extra))
        if self.misplaced:
            parts.append("colonnes mal placées : " + ", ".join(
                f"{found} en position {pos} (attendu {expected})" for pos, found, expected in self.misplaced[:10]))
        return f"en-tête conforme à aucune version déclarée ; la plus proche est {self.closest.id} ({self.closest.title}) : " + "; ".join(parts)


def match_header(labels: list[str], versions: tuple[HeaderVersion, ...], month: str | None = None) -> HeaderMatch:
    """Find the declared header version with exactly these labels, else the closest one.

    Closest: fewest missing + extra columns; ties go to the version whose period holds
    the file's month, then to the most recent."""
    for version in versions:
        if list(version.columns) == labels:
            return HeaderMatch(labels, version, version)

    def distance(version: HeaderVersion) -> tuple:
        expected = set(version.columns)
        return (len(expected - set(labels)) + len(set(labels) - expected),
                0 if month and version.covers(month) else 1, -versions.index(version))

    closest = min(versions, key=distance)
    expected = list(closest.columns)
    missing = [c for c in expected if c not in labels]
    extra = [c for c in labels if c not in expected]
    common_found = [c for c in labels if c in expected]
    common_expected = [c for c in expected if c in labels]
    misplaced = []
    if not missing and not extra:
        misplaced = [(i + 1, f, e) for i, (f, e) in enumerate(zip(common_found, common_expected)) if f != e]
    return HeaderMatch(labels, None, closest, missing, extra, misplaced)


@dataclass
class ReadPlan:
    """What to parse: the file's columns in order and the Arrow type of each."""

    columns: list[str]
    types: dict[str, pa.DataType]
    delimiter: str
    trailing_delimiter: bool

    @property
    def physical_columns(self) -> list[str]:
        return self.columns + (["__trailing__"] if self.trailing_delimiter else [])


def plan_for(package: DataPackage, columns: list[str], text: bool = False,
             storage: Callable[[str], pa.DataType] | None = None) -> ReadPlan:
    """Parse as text, or straight into ``storage`` types (the small integers of the
    Parquet file: cheaper to parse than int64; a value too large for its type fails the
    typed pass and is then judged by the text pass), or into the schema's plain types."""
    fields = {f.name: f for f in package.fields}
    if text:
        types = {name: pa.string() for name in columns}
    elif storage is not None:
        types = {name: storage(name) for name in columns}
    else:
        types = {name: ARROW_TYPES[fields[name].type] for name in columns}
    return ReadPlan(columns, types, package.extract.delimiter, package.extract.trailing_delimiter)


class BadRowCounter:
    """Arrow calls this for each line whose cell count differs from the header's; the line
    is skipped here and located afterwards by :func:`locate_bad_rows` (Arrow does not
    know line numbers when it parses blocks in parallel)."""

    def __init__(self):
        self.count = 0

    def __call__(self, row) -> str:
        self.count += 1
        return "skip"


CHUNK_BYTES = 24 << 20  # decompressed bytes parsed at once, cut at a line end
PARSE_BLOCK = 1 << 20  # Arrow parses the blocks of a chunk in parallel


def iter_batches(opened: OpenedExtract, plan: ReadPlan, bad_rows: BadRowCounter) -> Iterator[pa.RecordBatch]:
    """Yield record batches of the data lines, typed as planned, in file order.

    The stream is cut into chunks at line ends and each chunk is parsed by Arrow's
    multi-threaded reader (its streaming reader parses on one core only); memory stays
    bounded by a few chunks whatever the file size."""
    read_options = pacsv.ReadOptions(column_names=plan.physical_columns, block_size=PARSE_BLOCK, use_threads=True)
    parse_options = pacsv.ParseOptions(delimiter=plan.delimiter, quote_char=False, invalid_row_handler=bad_rows,
                                       ignore_empty_lines=False)
    convert_options = pacsv.ConvertOptions(
        column_types=plan.types, include_columns=plan.columns, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=False,
    )
    stream = opened.stream
    stream.readline()  # the header, already matched
    rest = b""
    while True:
        block = stream.read(CHUNK_BYTES)
        if not block:
            break
        data = rest + block
        cut = data.rfind(b"\n") + 1
        if cut == 0:  # no line end yet: keep reading
            rest = data
            continue
        chunk, rest = data[:cut], data[cut:]
        yield from _parse_chunk(chunk, read_options, parse_options, convert_options)
    if rest:
        yield from _parse_chunk(rest + b"\n", read_options, parse_options, convert_options)


def _parse_chunk(chunk: bytes, read_options, parse_options, convert_options) -> Iterator[pa.RecordBatch]:
    table = pacsv.read_csv(pa.py_buffer(chunk), read_options=read_options, parse_options=parse_options,
                           convert_options=convert_options)
    yield from table.to_batches(max_chunksize=256 * 1024)


_DONE = object()


def prefetch(iterator: Iterator, depth: int = 3) -> Iterator:
    """Run ``iterator`` in a thread of its own, ``depth`` items ahead of the consumer.

    Arrow's streaming CSV reader parses on about one core; checking and writing Parquet
    then run on the other instead of waiting their turn (both release the GIL)."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((_DONE, None))
        except BaseException as exc:  # handed to the consumer, raised there
            items.put((_DONE, exc))

    thread = threading.Thread(target=produce, name="csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def locate_bad_rows(path: Path, plan: ReadPlan, keep_text: int = 1000) -> list[tuple[int, str | None]]:
    """Physical line number of each data line whose cell count is wrong, with its text for the first ``keep_text`` of them.

    A second, plain pass over the file: only run when the parser skipped lines."""
    expected = len(plan.physical_columns)
    delimiter = plan.delimiter.encode()
    found: list[tuple[int, str | None]] = []
    opened = open_extract(path)
    try:
        stream = opened.stream
        stream.readline()
        for number, line in enumerate(stream, start=2):
            line = line.rstrip(b"\r\n")
            if line and line.count(delimiter) + 1 != expected:  # blank lines parse as null rows
                text = line.decode("ascii", errors="replace") if len(found) < keep_text else None
                found.append((number, text))
    except READ_ERRORS as exc:
        raise decompression_error(path, exc) from exc
    finally:
        opened.close()
    return found
