"""Every asset a page loads, served by Signoff itself under a fingerprinted URL.

A URL holds the content's hash, so an asset is cached for a year (``immutable``) and a new
release changes the URL: nothing is ever fetched from a CDN (offline installs, CSP 'self').
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import fastapi_offline

OWN = Path(__file__).parent / "static"
# Swagger UI and ReDoc, as the fastapi-offline package ships them.
DOCS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/ui/assets"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    body: bytes
    digest: str
    media_type: str


class Assets:
    def __init__(self, files: dict[str, Path]) -> None:
        self._assets: dict[str, Asset] = {}
        for name, path in files.items():
            body = path.read_bytes()
            media = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if media.startswith("text/") or media.endswith("javascript"):
                media += "; charset=utf-8"
            self._assets[name] = Asset(body, hashlib.sha256(body).hexdigest()[:16], media)

    @classmethod
    def bundled(cls) -> Assets:
        files = {p.name: p for p in OWN.iterdir() if p.is_file()}
        files.update({f"docs/{p.name}": p for p in DOCS.iterdir() if p.suffix in {".js", ".css"}})
        files["docs/favicon.png"] = DOCS / "favicon.png"
        return cls(files)

    def url(self, name: str) -> str:
        return f"{PREFIX}/{self._assets[name].digest}/{name}"

    def get(self, digest: str, name: str) -> Asset | None:
        asset = self._assets.get(name)
        return asset if asset is not None and asset.digest == digest else None
