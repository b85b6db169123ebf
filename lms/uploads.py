"""Read an uploaded document (a certificate, a diploma, a card) and serve it back safely.

One reader for every page that takes a PDF or an image: it reads at most `MAX_BYTES` (plus one
byte, to tell "too large" from "exactly the limit"), refuses an empty or oversized file and
decides the type by the first bytes, never by the file name or the browser's Content-Type. A
program (ELF, Windows, Mach-O, a script) is refused as such. Each refusal is the caller's error
class, constructed as `error(message, field)`, so it lands on the form's field.

`serving` is the other half: a stored file is shown in the browser only when its recorded type
is one of these and its bytes still start as that type does; anything else is an opaque
download. `FILE_HEADERS` are the headers every such answer carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from lms.errors import ServiceError

MAX_BYTES = 10 * 1024 * 1024

# (first bytes, content type, file extension, name for people), for the accepted types.
SIGNATURES = (
    (b"%PDF-", "application/pdf", "pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png", "PNG image"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg", "JPEG image"),
)
EXTENSIONS = {content_type: ext for _, content_type, ext, _ in SIGNATURES}
TYPE_NAMES = {content_type: name for _, content_type, _, name in SIGNATURES}
EXECUTABLES = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"#!")
HEAD = 16  # enough bytes to tell every signature above

# A stored document is shown, never run: no script, no plugin other than the PDF viewer.
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
# Not kept by shared caches (nor by the browser's disk cache: it is someone's record).
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_CSP,
    "Cache-Control": "private, no-store",
}


@dataclass(frozen=True)
class Upload:
    """A file read from a form: its bytes, its type as its content says, its given name."""

    data: bytes
    content_type: str
    filename: str


def _megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB"


def sniff(head: bytes, *, field: str, noun: str = "file", error: type[Any] = ServiceError) -> str:
    """Return the content type of a document from its first bytes, or raise `error`."""
    for magic, content_type, _, _ in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head.startswith(EXECUTABLES):
        raise error(f"This file is a program, not a {noun}.", field)
    raise error(f"The {noun} must be a PDF, PNG or JPEG file.", field)


def content_type_of(data: bytes) -> str | None:
    """Return the accepted type the bytes start as, or None."""
    for magic, content_type, _, _ in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def read_upload(
    stream: BinaryIO,
    filename: str | None,
    *,
    field: str,
    noun: str = "file",
    error: type[Any] = ServiceError,
    limit: int = MAX_BYTES,
) -> Upload:
    """Read an uploaded stream (at most `limit` bytes) and return it typed by its content."""
    data = stream.read(limit + 1)
    if not data:
        raise error(f"The {noun} file is empty.", field)
    if len(data) > limit:
        raise error(f"The {noun} is larger than {_megabytes(limit)}.", field)
    content_type = sniff(data[:HEAD], field=field, noun=noun, error=error)
    return Upload(data, content_type, display_name(filename, noun))


def check_stored(
    data: bytes,
    content_type: str,
    *,
    field: str,
    noun: str = "file",
    error: type[Any] = ServiceError,
    limit: int = MAX_BYTES,
) -> None:
    """Refuse bytes about to be stored unless they are `content_type` and within the limit.

    For services handed bytes by a caller that may not have used `read_upload`.
    """
    if sniff(data[:HEAD], field=field, noun=noun, error=error) != content_type or (
        len(data) > limit
    ):
        raise error(f"The {noun} must be a PDF, PNG or JPEG of at most {_megabytes(limit)}.", field)


def display_name(filename: str | None, default: str = "file") -> str:
    """Return the name a file was given, for display only: no folders, at most 200 characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or default)[-200:]


def serving(content_type: str, data: bytes, stem: str, download: bool) -> tuple[str, str]:
    """Return (content type, Content-Disposition) to serve stored bytes safely.

    Shown in the browser (unless `download`) only when the recorded type is accepted and the
    bytes start as it does; anything else is an `application/octet-stream` attachment. `stem`
    names the file (it must be safe in a header: letters, digits, hyphens).
    """
    ext = EXTENSIONS.get(content_type)
    if ext is None or content_type_of(data[:HEAD]) != content_type:
        return "application/octet-stream", f'attachment; filename="{stem}.bin"'
    return content_type, f'{"attachment" if download else "inline"}; filename="{stem}.{ext}"'
