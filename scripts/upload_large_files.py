"""Send the files too large for the site to the file host (used by the monthly workflow).

    python scripts/upload_large_files.py --cache DIR --command 'rclone copyto {path} hote:depot/{key}'

Every published file of the cache above ``site.yaml``'s ``large_files.max_bytes`` is passed to
the command, with ``{path}`` its local path and ``{key}`` its path under the file host's base
URL (``donnees/<paquet>/<mois>/<fichier>``, the URL the site links to).
"""
from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from portal.config import load_site_config  # noqa: E402


def large_files(cache: Path, max_bytes: int):
    for record_path in sorted(cache.glob("*/months/*/record.json")):
        record = json.loads(record_path.read_text(encoding="utf-8"))
        package = record_path.parents[2].name
        for file in record.get("files", []):
            path = record_path.parent / file["name"]
            if file["bytes"] > max_bytes and path.exists():
                yield path, f"donnees/{package}/{record['month']}/{file['name']}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", required=True, type=Path)
    parser.add_argument("--command", required=True, help="command template with {path} and {key}")
    parser.add_argument("--config", type=Path, default=ROOT / "site.yaml")
    args = parser.parse_args()
    config = load_site_config(args.config)
    for path, key in large_files(args.cache, config.max_file_bytes):
        command = [part.format(path=path, key=key) for part in shlex.split(args.command)]
        print(f"envoi de {key}", file=sys.stderr)
        if subprocess.run(command).returncode:
            print(f"erreur : l'envoi de {key} a échoué", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
