"""Site-wide settings (``site.yaml``), typed and strict: an unknown key is an error."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from portal.errors import PackageError


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Portail de données ouvertes"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    contact_name: str = ""
    contact_url: str = ""
    max_file_bytes: int = 50_000_000
    files_base_url: str = ""

    def absolute(self, relative: str) -> str:
        return self.base_url.rstrip("/") + "/" + relative.lstrip("/")


def load_site_config(path: Path | None) -> SiteConfig:
    data = {}
    if path is not None and Path(path).exists():
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    known = {"title", "description", "base_url", "contact", "large_files"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise PackageError(f"{path}: clé(s) inconnue(s) {', '.join(unknown)} (attendues : {', '.join(sorted(known))})")
    contact = data.get("contact") or {}
    large = data.get("large_files") or {}
    for where, section, keys in (("contact", contact, {"name", "url"}), ("large_files", large, {"max_bytes", "base_url"})):
        extra = sorted(set(section) - keys)
        if extra:
            raise PackageError(f"{path}: {where}: clé(s) inconnue(s) {', '.join(extra)}")
    defaults = SiteConfig()
    config = SiteConfig(
        title=data.get("title", defaults.title),
        description=" ".join(str(data.get("description", "")).split()),
        base_url=os.environ.get("PORTAL_BASE_URL") or data.get("base_url", defaults.base_url),
        contact_name=contact.get("name", ""),
        contact_url=contact.get("url", ""),
        max_file_bytes=int(os.environ.get("PORTAL_MAX_FILE_BYTES") or large.get("max_bytes", defaults.max_file_bytes)),
        files_base_url=os.environ.get("PORTAL_FILES_BASE_URL") or large.get("base_url", ""),
    )
    if not config.base_url.endswith("/"):
        config = SiteConfig(**{**config.__dict__, "base_url": config.base_url + "/"})
    return config
