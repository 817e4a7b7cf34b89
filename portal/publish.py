"""Put the built site in place atomically, and describe downloads for machines.

The site is built in a sibling temporary folder and swapped in with two renames only
when everything succeeded: a failed build leaves the last good ``site/`` untouched.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from portal.errors import PortalError


@contextlib.contextmanager
def staged_site(site_dir: Path):
    """Yield an empty folder next to ``site_dir``; on success it becomes ``site_dir``."""
    site_dir = Path(site_dir).resolve()
    site_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{site_dir.name}-", dir=site_dir.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    previous = site_dir.with_name(f".{site_dir.name}-previous")
    shutil.rmtree(previous, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(previous)
    staging.rename(site_dir)
    shutil.rmtree(previous, ignore_errors=True)


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def link_or_copy(source: Path, target: Path) -> None:
    """Hard-link when possible (same disk): big files are not copied twice."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


# -- metadata for harvesters and search engines ------------------------------------------------

MONTHLY = "http://purl.org/cld/freq/monthly"
IANA = "https://www.iana.org/assignments/media-types/"


def dcat_graph(config, packages: list[dict]):
    """A DCAT catalogue of every package and every downloadable file, as data.gouv.fr's
    harvester reads it (title, description, keywords, licence, periodicity, temporal
    coverage, contact, landing page, distributions with URL, type, size and sha256)."""
    from rdflib import Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    spdx = Namespace("http://spdx.org/rdf/terms#")
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", vcard), ("spdx", spdx)):
        graph.bind(prefix, namespace)
    catalog = URIRef(config.absolute("catalog.ttl"))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal(config.title, lang="fr")))
    graph.add((catalog, DCTERMS.description, Literal(config.description, lang="fr")))
    graph.add((catalog, FOAF.homepage, URIRef(config.base_url)))
    for item in packages:
        descriptor, months = item["descriptor"], item["months"]
        landing = config.absolute(f"donnees/{item['name']}/index.html")
        dataset = URIRef(landing + "#jeu")
        graph.add((catalog, DCAT.dataset, dataset))
        graph.add((dataset, RDF.type, DCAT.Dataset))
        graph.add((dataset, DCTERMS.identifier, Literal(landing)))
        graph.add((dataset, DCTERMS.title, Literal(descriptor.get("title", item["name"]), lang="fr")))
        graph.add((dataset, DCTERMS.description, Literal(descriptor.get("description", ""), lang="fr")))
        for keyword in descriptor.get("keywords", []):
            graph.add((dataset, DCAT.keyword, Literal(keyword, lang="fr")))
        for licence in descriptor.get("licenses", []):
            graph.add((dataset, DCTERMS.license, URIRef(licence["path"])))
        graph.add((dataset, DCTERMS.accrualPeriodicity, URIRef(MONTHLY)))
        graph.add((dataset, DCAT.landingPage, URIRef(landing)))
        # Named nodes rather than blank ones: the serialisations come out the same every build.
        publisher = URIRef(landing + "#producteur")
        graph.add((dataset, DCTERMS.publisher, publisher))
        graph.add((publisher, RDF.type, FOAF.Agent))
        graph.add((publisher, FOAF.name, Literal(descriptor.get("contributors", [{}])[0].get("title", ""))))
        contact = URIRef(landing + "#contact")
        graph.add((dataset, DCAT.contactPoint, contact))
        graph.add((contact, RDF.type, vcard.Kind))
        graph.add((contact, vcard.fn, Literal(config.contact_name)))
        if config.contact_url:
            graph.add((contact, vcard.hasURL, URIRef(config.contact_url)))
        if months:
            period = URIRef(landing + "#periode")
            graph.add((dataset, DCTERMS.temporal, period))
            graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
            graph.add((period, DCAT.startDate, Literal(months[0]["month"] + "-01", datatype=XSD.date)))
            graph.add((period, DCAT.endDate, Literal(_month_end(months[-1]["month"]), datatype=XSD.date)))
        schema_url = URIRef(config.absolute(f"donnees/{item['name']}/datapackage.json"))
        for month in months:
            for file in month.get("downloads", []):
                url = file["url"]
                distribution = URIRef(url)
                graph.add((dataset, DCAT.distribution, distribution))
                graph.add((distribution, RDF.type, DCAT.Distribution))
                graph.add((distribution, DCTERMS.title, Literal(f"{file['name']} ({month['month']})", lang="fr")))
                graph.add((distribution, DCAT.downloadURL, URIRef(url)))
                graph.add((distribution, DCAT.accessURL, URIRef(url)))
                graph.add((distribution, DCAT.mediaType, URIRef(IANA + file["mediatype"])))
                graph.add((distribution, DCTERMS["format"], Literal(file["format"].upper())))
                graph.add((distribution, DCAT.byteSize, Literal(file["bytes"], datatype=XSD.nonNegativeInteger)))
                graph.add((distribution, DCTERMS.conformsTo, schema_url))
                checksum = URIRef(url + "#sha256")
                graph.add((distribution, spdx.checksum, checksum))
                graph.add((checksum, RDF.type, spdx.Checksum))
                graph.add((checksum, spdx.algorithm, spdx.checksumAlgorithm_sha256))
                graph.add((checksum, spdx.checksumValue, Literal(file["sha256"], datatype=XSD.hexBinary)))
    return graph


def _month_end(month: str) -> str:
    import calendar
    year, number = int(month[:4]), int(month[5:])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def write_catalog(out: Path, config, packages: list[dict]) -> None:
    graph = dcat_graph(config, packages)
    (out / "catalog.ttl").write_text(graph.serialize(format="turtle"), encoding="utf-8")
    data = json.loads(graph.serialize(format="json-ld"))
    data.sort(key=lambda node: node["@id"])  # node order follows hashing otherwise
    (out / "catalog.jsonld").write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")


def schema_org_dataset(config, item: dict) -> dict:
    """schema.org Dataset for the dataset page head (search engines, Google Dataset Search)."""
    descriptor, months = item["descriptor"], item["months"]
    data = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "name": descriptor.get("title", item["name"]),
        "description": descriptor.get("description", ""),
        "url": config.absolute(f"donnees/{item['name']}/index.html"),
        "keywords": descriptor.get("keywords", []),
        "license": (descriptor.get("licenses") or [{}])[0].get("path", ""),
        "isAccessibleForFree": True,
        "inLanguage": "fr",
        "creator": {"@type": "Organization", "name": descriptor.get("contributors", [{}])[0].get("title", "")},
        "distribution": [
            {"@type": "DataDownload", "name": file["name"], "contentUrl": file["url"],
             "encodingFormat": file["mediatype"], "contentSize": f"{file['bytes']} B"}
            for month in months for file in month.get("downloads", [])
        ],
    }
    if months:
        data["temporalCoverage"] = f"{months[0]['month']}/{months[-1]['month']}"
    return data


def write_sitemap(out: Path, config) -> None:
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html") if p.name != "404.html")
    urls = "\n".join(f"  <url><loc>{config.absolute(page)}</loc></url>" for page in pages)
    (out / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}\n</urlset>\n', encoding="utf-8")
    (out / "robots.txt").write_text(f"User-agent: *\nAllow: /\nSitemap: {config.absolute('sitemap.xml')}\n",
                                    encoding="utf-8")


def write_redirects(out: Path, packages: list[dict]) -> None:
    """Netlify ``_redirects``: a stable ``latest`` alias for each package's newest month."""
    lines = []
    for item in packages:
        valid = [m for m in item["months"] if m["valid"]]
        if not valid:
            continue
        latest = valid[-1]
        base = f"/donnees/{item['name']}"
        for file in latest.get("downloads", []):
            suffix = ".parquet" if file["format"] == "parquet" else ".csv.gz"
            lines.append(f"{base}/latest/{item['name']}{suffix} {file['url_path']} 302")
        lines.append(f"{base}/latest/validation.json {base}/{latest['month']}/validation.json 302")
        lines.append(f"{base}/latest {base}/index.html#mois 302")
    (out / "_redirects").write_text("\n".join(lines) + "\n", encoding="utf-8")


def index_for_search(out: Path) -> None:
    """Full-text index of the built pages with Pagefind (its binary comes from PyPI):
    static files served by the site itself, queried in the browser."""
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out)], capture_output=True, text=True)
    if done.returncode:
        raise PortalError(f"indexation Pagefind impossible : {done.stderr.strip() or done.stdout.strip()}")
