"""JSON-LD contexts shipped with the package and RDF Dataset Canonicalization through pyld.

The document loader serves only the contexts in `certificates/data/contexts/` and refuses every
other URL, so canonicalising a credential never touches the network. Parsed contexts are loaded
once per process, and each is tagged static so that pyld keeps it processed between calls.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from pyld import jsonld

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
MULTIKEY_V1 = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"
DID_V1 = "https://www.w3.org/ns/did/v1"

_FILES = {
    CREDENTIALS_V2: "credentials-v2.jsonld",
    OB_V3: "ob-context-3.0.3.json",
    OB_EXTENSIONS: "ob-v3p0-extensions.json",
    MULTIKEY_V1: "multikey-v1.jsonld",
    DATA_INTEGRITY_V2: "data-integrity-v2.jsonld",
    DID_V1: "did-v1.jsonld",
}
_DIR = Path(__file__).parent / "data" / "contexts"


class ContextNotShipped(ValueError):
    """A document names a context this package does not ship (it is never fetched)."""


@functools.cache
def _context(url: str) -> dict[str, Any]:
    name = _FILES.get(url)
    if name is None:
        raise ContextNotShipped(f"The JSON-LD context {url} is not shipped; it is never fetched.")
    return json.loads((_DIR / name).read_text(encoding="utf-8"))


def context_document(url: str) -> dict[str, Any]:
    """Return a copy of a shipped context document by its URL."""
    return copy.deepcopy(_context(url))


def document_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """Load a context from the package; any other URL is an error, never a request."""
    # "static": the shipped files never change, so pyld keeps each processed context by its URL
    # across calls; untagged, it fetched and re-canonicalised every context on every call
    # (half of signing or verifying a credential).
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": context_document(url),
        "tag": "static",
    }


def canonize(document: dict[str, Any]) -> str:
    """Return the RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document."""
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": document_loader,
        },
    )
