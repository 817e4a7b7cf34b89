"""Import the CNAM reference material into the Open DAMIR data package.

Run once when the reference changes (``python scripts/import_damir_reference.py
--source ../shared/damir``). It regenerates, from the official descriptor and code
lists, the parts of ``datapackages/open-damir/`` that are derived data:

* ``codelists/<variable>.csv`` (comma-separated UTF-8, ``code,libelle[,note|code_b2]``),
* ``schemas/extrait.schema.json`` (Table Schema of the monthly extract, 10/2024 header),
* the ``resources`` array of ``datapackage.json`` (hand-written keys are kept),
* ``sample/frequences_codes_A202401.csv`` (real code frequencies, for the sample generator),
* ``data/reference/A202501_echantillon_reel.csv`` (94 real lines, byte for byte).

Everything hand-written (texts, header versions, rules, severities) stays in
``datapackage.json`` and ``portal.yaml`` and is never touched here.
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from portal.package import load_package, published_schema  # noqa: E402

PACKAGE = Path(__file__).resolve().parent.parent / "datapackages" / "open-damir"

# Columns whose values are not integer codes (facts from the shared README).
STRING_FIELDS = {
    "SOI_ANN": {"pattern": "[0-9]{4}"},
    "SOI_MOI": {"pattern": "0[0-9]|1[0-2]"},
    "ETB_DCS_MCO": {"pattern": "[A-Z]"},
}
NUMBER_FIELDS = {
    "PRS_ACT_COG", "PRS_DEP_MNT", "PRS_PAI_MNT", "PRS_REM_BSE", "PRS_REM_MNT",
    "FLT_ACT_COG", "FLT_PAI_MNT", "FLT_DEP_MNT", "FLT_REM_MNT", "PRS_REM_TAU",
}
COUNT_FIELDS = {"PRS_ACT_NBR", "PRS_ACT_QTE", "FLT_ACT_NBR", "FLT_ACT_QTE"}
OPTIONAL_FIELDS = {"PRS_ACT_NBR", "FLT_ACT_NBR"}  # the only columns ever empty
# The 2025 descriptor repeats the executant label for the prescriber specialty;
# the 2015 lexicon has the right one.
TITLE_FIXES = {"PSP_SPE_SNDS": "Spécialité Médicale PS Prescripteur"}
ETB_TITLE = "Discipline MCO de l'établissement (variable non documentée)"
ETB_DESCRIPTION = (
    "Variable apparue en août 2023, absente du descripteur officiel. Ses valeurs sont des "
    "lettres ; la table de référence SNDS IR_MCO_V (discipline de prestation MCO) est la "
    "plus probable et sert de liste de codes, sans caractère officiel."
)
ZEAT_VARIABLES = {"BEN_RES_ZEAT", "ETE_ZEAT_COD", "ETP_ZEAT_COD", "EXE_INS_ZEAT",
                  "ORG_CLE_ZEAT", "PRE_INS_ZEAT"}


def read_semicolon_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def import_codelists(source: Path) -> list[dict]:
    """Copy every code list, return its resource descriptor."""
    resources = []
    out_dir = PACKAGE / "codelists"
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted((source / "codelists").glob("*.csv")):
        variable = path.stem
        rows = read_semicolon_csv(path)
        if variable == "ETB_DCS_MCO_IR_MCO_V":
            variable = "ETB_DCS_MCO"
            header = ["code", "libelle", "note"]
            body = [[r["GHS_DDP_MCO"], r["DDP_MCO_LIB"], ""] for r in rows]
        else:
            extra = "code_b2" if "code_b2" in rows[0] else "note"
            header = ["code", "libelle", extra]
            body = [[r["code"].strip(), r["libelle"].strip(), (r.get(extra) or "").strip()] for r in rows]
            body.sort(key=lambda r: (int(r[0]), r[1]))
        codes = [r[0] for r in body]
        duplicated = sorted({c for c in codes if codes.count(c) > 1}, key=int)
        write_csv(out_dir / f"{variable}.csv", header, body)
        is_letter = variable == "ETB_DCS_MCO"
        fields = [
            {"name": "code", "title": "Code", "type": "string" if is_letter else "integer",
             "constraints": {"required": True}},
            {"name": "libelle", "title": "Libellé", "type": "string", "constraints": {"required": True}},
            {"name": header[2], "title": "Mnémonique NGAP (B2)" if header[2] == "code_b2" else "Note",
             "type": "string"},
        ]
        description = f"Liste des codes de la variable {variable} (descripteur officiel CNAM du 11 février 2025)."
        if duplicated:
            description += (
                f" Particularité officielle : les codes {', '.join(duplicated)} y figurent deux fois "
                "avec deux libellés ; les deux libellés sont conservés."
            )
        if variable == "BEN_CMU_TOP":
            description += (
                " La signification a changé en avril 2021 : la CMU-C est devenue la C2S ; "
                "la colonne note donne le libellé d'avant."
            )
        if is_letter:
            description = (
                "Liste non officielle : table de référence SNDS IR_MCO_V (discipline de prestation MCO), "
                "la plus probable pour ETB_DCS_MCO, qui n'a pas de liste dans le descripteur officiel."
            )
        if variable in ZEAT_VARIABLES:
            description += " Utilisée par les fichiers 2009-2014 (PAAAAMM), en ZEAT au lieu des régions."
        resources.append({
            "name": variable.lower(),
            "title": f"Codes {variable}",
            "description": description,
            "path": f"codelists/{variable}.csv",
            "type": "table",
            "scheme": "file",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {
                "fields": fields,
                # Two lists carry a code twice: only (code, libelle) is unique there.
                "primaryKey": ["code", "libelle"] if duplicated else ["code"],
            },
            "official": not is_letter,
            "variable": variable,
        })
    return resources


def build_schema(source: Path, codelist_names: set[str]) -> dict:
    columns = read_semicolon_csv(source / "colonnes_2025.csv")
    official = {r["nom_variable"]: r for r in read_semicolon_csv(source / "variables_officielles_2025.csv")}
    fields, foreign_keys = [], []
    for column in columns:
        name = column["name"]
        descriptor = official.get(name, {})
        title = TITLE_FIXES.get(name) or descriptor.get("libelle") or column["libelle_descriptif_2025"] or ETB_TITLE
        field: dict = {"name": name, "title": title.strip()}
        comment = (descriptor.get("commentaires") or "").strip()
        if name == "ETB_DCS_MCO":
            comment = ETB_DESCRIPTION
        if name in TITLE_FIXES:
            comment = (comment + "\n\n" if comment else "") + (
                f"Le descripteur officiel de 2025 l'intitule « {descriptor.get('libelle', '').strip()} », "
                "reprise du libellé de la variable exécutant ; il s'agit bien du prescripteur."
            )
        if comment:
            field["description"] = comment
        field["category"] = (descriptor.get("categorie") or column["categorie"] or "ETABLISSEMENT").strip()
        constraints: dict = {"required": name not in OPTIONAL_FIELDS}
        if name in STRING_FIELDS:
            field["type"] = "string"
            constraints.update(STRING_FIELDS[name])
        elif name in NUMBER_FIELDS:
            field["type"] = "number"
        else:
            field["type"] = "integer"
        if name == "FLX_ANN_MOI":
            constraints.update({"minimum": 200901, "maximum": 209912})
            field["storageType"] = "int32"
        if name in COUNT_FIELDS:
            field["storageType"] = "int64"
        field["constraints"] = constraints
        if name.lower() in codelist_names:
            foreign_keys.append({"fields": [name], "reference": {"resource": name.lower(), "fields": ["code"]}})
        fields.append(field)
    return {
        "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
        "fields": fields,
        "missingValues": [""],
        "foreignKeys": foreign_keys,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "damir")
    args = parser.parse_args()
    resources = import_codelists(args.source)
    schema = build_schema(args.source, {r["name"] for r in resources})
    (PACKAGE / "schemas").mkdir(exist_ok=True)
    (PACKAGE / "schemas" / "extrait.schema.json").write_text(
        json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (PACKAGE / "sample").mkdir(exist_ok=True)
    shutil.copyfile(args.source / "frequences_codes_A202401.csv", PACKAGE / "sample" / "frequences_codes_A202401.csv")
    reference = PACKAGE / "data" / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.source / "A202501_echantillon_reel.csv", reference / "A202501_echantillon_reel.csv")

    descriptor_path = PACKAGE / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    kept = [r for r in descriptor.get("resources", []) if not r["path"].startswith("codelists/")]
    descriptor["resources"] = kept + resources
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    # The reference lines are described as published: derived from the schema, never by hand.
    package = load_package(PACKAGE)
    latest = package.extract.header_versions[-1]
    (PACKAGE / "schemas" / "extrait-publie.schema.json").write_text(
        json.dumps(published_schema(package, latest), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
