"""What changed from one release to the next, computed from the months' records.

For each month: its header version and columns against the previous month's, codes seen
for the first time or no longer seen, rows and main amount, and the largest moves by
category, region and specialty against the previous month and the same month a year
before. Everything comes from the validated months' aggregates (exact decimal sums).
"""
from __future__ import annotations

import csv
from pathlib import Path

from portal.package import DataPackage

MOVE_DIMENSIONS = ("category", "BEN_RES_REG", "PSE_SPE_SNDS")
TOP_MOVES = 5


def _year_before(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def _percent(before: float | None, after: float | None) -> float | None:
    if before in (None, 0) or after is None:
        return None
    return round(100 * (after - before) / abs(before), 2)


def _categories(package: DataPackage) -> list[tuple[int, int, str]]:
    path = package.root / "categories" / "prs_nat.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [(int(r["code_min"]), int(r["code_max"]), r["libelle"]) for r in csv.DictReader(handle)]


def _amounts_by(package: DataPackage, month: dict, dimension: str, categories) -> dict[str, float]:
    codes = (month.get("aggregates") or {}).get("codes") or {}
    if dimension == "category":
        totals: dict[str, float] = {}
        for code, _rows, amount in codes.get("PRS_NAT", []):
            label = next((name for low, high, name in categories if low <= code <= high), "Non classé")
            totals[label] = round(totals.get(label, 0.0) + amount, 2)
        return totals
    labels = {}
    codelist = package.codelist_of(dimension)
    for code in codelist.codes if codelist else ():
        labels.setdefault(code.code, code.label)
    return {f"{labels.get(code, 'hors liste')} ({code})": amount for code, _rows, amount in codes.get(dimension, [])}


def _moves(before: dict[str, float], after: dict[str, float]) -> list[dict]:
    keys = sorted(set(before) | set(after))
    moves = [{"label": key, "before": before.get(key, 0.0), "after": after.get(key, 0.0),
              "change": round(after.get(key, 0.0) - before.get(key, 0.0), 2),
              "percent": _percent(before.get(key), after.get(key, 0.0))} for key in keys]
    moves.sort(key=lambda m: (-abs(m["change"]), m["label"]))
    return moves[:TOP_MOVES]


def release_changes(package: DataPackage, months: list[dict]) -> dict[str, dict]:
    """``{month: changes}`` for every valid month, oldest first."""
    valid = [m for m in months if m["valid"]]
    by_month = {m["month"]: m for m in valid}
    categories = _categories(package)
    amount_field = package.measures.main_amount
    seen_before: dict[str, set] = {}
    result = {}
    for index, month in enumerate(valid):
        previous = valid[index - 1] if index else None
        year_before = by_month.get(_year_before(month["month"]))
        codes_now = {column: {code for code, _r, _a in items}
                     for column, items in ((month.get("aggregates") or {}).get("codes") or {}).items()}
        first_seen = {c: sorted(codes - seen_before.get(c, set()), key=str) for c, codes in codes_now.items()}
        codes_previous = {column: {code for code, _r, _a in items}
                          for column, items in (((previous or {}).get("aggregates") or {}).get("codes") or {}).items()}
        no_longer = {c: sorted(codes - codes_now.get(c, set()), key=str) for c, codes in codes_previous.items()}
        for column, codes in codes_now.items():
            seen_before.setdefault(column, set()).update(codes)
        columns_now = set(package.header_version(month["header_version"]).columns)
        columns_before = set(package.header_version(previous["header_version"]).columns) if previous else columns_now
        amount_now = ((month.get("aggregates") or {}).get("totals") or {}).get(amount_field)

        def compare(other):
            if other is None:
                return None
            amount_other = ((other.get("aggregates") or {}).get("totals") or {}).get(amount_field)
            return {
                "month": other["month"],
                "rows": {"before": other["rows"], "after": month["rows"], "percent": _percent(other["rows"], month["rows"])},
                "amount": {"field": amount_field, "before": amount_other, "after": amount_now,
                           "percent": _percent(amount_other, amount_now)},
                "moves": {d: _moves(_amounts_by(package, other, d, categories), _amounts_by(package, month, d, categories))
                          for d in MOVE_DIMENSIONS if d != "category" or categories},
            }

        result[month["month"]] = {
            "month": month["month"],
            "version": month.get("version", 1),
            "reason": month.get("reason", "scheduled"),
            "replaced": [{"version": v.get("version"), "source_sha256": v.get("source_sha256"), "rows": v.get("rows")}
                         for v in month.get("previous_versions", [])],
            "schema": {
                "header_version": month["header_version"],
                "previous_header_version": previous["header_version"] if previous else None,
                "columns_added": sorted(columns_now - columns_before),
                "columns_removed": sorted(columns_before - columns_now),
                "types_changed": month.get("types_changed", []),  # schema edits since the last publication
            },
            # the first month has no "before": every code would be "new", which says nothing
            "codes": {"first_seen": {c: v for c, v in first_seen.items() if v} if previous else {},
                      "no_longer_seen": {c: v for c, v in no_longer.items() if v}},
            "codelists": month.get("codelist_changes", {}),  # lists edited since the last publication
            "published": month.get("published"),
            "previous": compare(previous),
            "year_before": compare(year_before),
        }
    return result


def atom_feed(path: Path, title: str, base_url: str, package_name: str, changes: dict[str, dict]) -> None:
    """An Atom feed of releases; dates come from the data (the month), never the clock."""
    from xml.etree import ElementTree as ET
    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed")
    site = base_url.rstrip("/") + f"/donnees/{package_name}/"
    ET.SubElement(feed, f"{{{ns}}}title").text = f"{title} : nouvelles publications"
    ET.SubElement(feed, f"{{{ns}}}id").text = site + "publications.atom"
    ET.SubElement(feed, f"{{{ns}}}link", href=site + "publications.atom", rel="self")
    ET.SubElement(feed, f"{{{ns}}}link", href=site + "index.html")
    months = sorted(changes, reverse=True)
    ET.SubElement(feed, f"{{{ns}}}updated").text = f"{months[0]}-01T00:00:00Z" if months else "1970-01-01T00:00:00Z"
    author = ET.SubElement(feed, f"{{{ns}}}author")
    ET.SubElement(author, f"{{{ns}}}name").text = title
    for month in months:
        change = changes[month]
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        version = f" (version {change['version']}, correction)" if change["version"] > 1 else ""
        ET.SubElement(entry, f"{{{ns}}}title").text = f"{title} : mois {month}{version}"
        ET.SubElement(entry, f"{{{ns}}}id").text = f"{site}changements/{month}.html#v{change['version']}"
        ET.SubElement(entry, f"{{{ns}}}link", href=f"{site}changements/{month}.html")
        ET.SubElement(entry, f"{{{ns}}}updated").text = (
            f"{change['published']}T00:00:00Z" if change.get("published") else f"{month}-01T00:00:00Z")
        summary = []
        if change["previous"]:
            rows = change["previous"]["rows"]
            summary.append(f"{rows['after']} lignes ({rows['percent']:+.1f} % sur un mois)" if rows["percent"] is not None
                           else f"{rows['after']} lignes")
        if change["schema"]["columns_added"] or change["schema"]["columns_removed"]:
            summary.append("en-tête modifié")
        ET.SubElement(entry, f"{{{ns}}}summary").text = "; ".join(summary) or f"Publication du mois {month}."
    ET.ElementTree(feed).write(path, encoding="utf-8", xml_declaration=True)
