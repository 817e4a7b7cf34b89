"""Download the monthly files missing from the data folder (used by the monthly workflow).

    python scripts/fetch_months.py --source URL --out DIR [--first 2015-01] [--last AAAA-MM]

For each month from --first to --last (default: the month before the current one), the
file ``A{YYYY}{MM}.csv.gz`` is fetched from ``{URL}/`` when absent from DIR. A month not yet
published (HTTP 404) ends the loop quietly; any other failure stops with a non-zero exit.
Downloads go to a temporary name and are renamed once complete: an interrupted run never
leaves a truncated file under the real name.
"""
from __future__ import annotations

import argparse
import datetime
import shutil
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from portal.sample import parse_months  # noqa: E402


def previous_month(today: datetime.date) -> str:
    first = today.replace(day=1) - datetime.timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="base URL of the monthly files")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--first", default="2015-01")
    parser.add_argument("--last", default=None)
    args = parser.parse_args()
    if not args.source:
        print("erreur : --source vide (variable OPEN_DAMIR_SOURCE_URL non définie ?)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    last = args.last or previous_month(datetime.date.today())
    for month in parse_months(f"{args.first}..{last}"):
        name = f"A{month[:4]}{month[5:]}.csv.gz"
        target = args.out / name
        if target.exists():
            continue
        partial = target.with_name(name + ".partial")
        try:
            with urllib.request.urlopen(f"{args.source.rstrip('/')}/{name}", timeout=120) as response, \
                    open(partial, "wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        except urllib.error.HTTPError as exc:
            partial.unlink(missing_ok=True)
            if exc.code == 404:
                print(f"{name} : pas encore publié", file=sys.stderr)
                break
            print(f"erreur : {name} : HTTP {exc.code}", file=sys.stderr)
            return 2
        except OSError as exc:
            partial.unlink(missing_ok=True)
            print(f"erreur : {name} : {exc}", file=sys.stderr)
            return 2
        partial.replace(target)
        print(f"{name} : {target.stat().st_size} octets", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
