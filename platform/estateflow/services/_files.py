"""Uploaded files and photos: checked, cleaned, stored by content, per estate.

A file's type is told by its first bytes, not by its name or what the browser says. A
photo is decoded and written again: that drops its EXIF data (where it was taken, the
phone's serial number) and scales it down to a size a form needs. Files are stored under
the estate's folder by their SHA-256, so the same photo twice is stored once, and a file
of one estate is never served through another's URL.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from estateflow.errors import EstateFlowError

#: The largest upload accepted at all (a phone photo is 3-12 MB).
MAX_UPLOAD = 25 * 1024 * 1024
#: Photos are scaled down so that their longer side is at most this many pixels.
MAX_PHOTO_SIDE = 1600
#: Decoding stops above this many pixels (a decompression bomb).
MAX_PIXELS = 60_000_000

_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
_SHA = re.compile(r"^[0-9a-f]{64}$")


class UploadRefused(EstateFlowError):
    """The file is not acceptable here; the message says why, for the form."""


def sniff(data: bytes) -> str:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Attachments:
    """The folder that holds every estate's files."""

    root: Path

    def save(
        self,
        estate_id: str,
        data: bytes,
        filename: str,
        *,
        photo: bool,
        accept: tuple[str, ...] = (),
        max_size: int | None = None,
    ) -> dict[str, Any]:
        """Check and store an upload; returns the reference a form field keeps."""
        limit = min(max_size or MAX_UPLOAD, MAX_UPLOAD)
        if len(data) > limit:
            raise UploadRefused(f"the file is larger than {limit // (1024 * 1024)} MB")
        if not data:
            raise UploadRefused("the file is empty")
        kind = sniff(data)
        allowed = set(accept) or (_IMAGES if photo else set())
        if photo and kind not in _IMAGES:
            raise UploadRefused("this is not a photo (JPEG, PNG, GIF or WebP)")
        if allowed and kind not in allowed:
            raise UploadRefused(f"this kind of file ({kind}) is not accepted here")
        if kind in _IMAGES:
            data, kind = _clean_image(data, kind)
        digest = hashlib.sha256(data).hexdigest()
        folder = self._folder(estate_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / digest
        if not target.exists():
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)  # whole or not at all, even if we crash mid-write
        name = Path(filename or "file").name[:120] or "file"
        meta = {"name": name, "size": len(data), "type": kind, "sha256": digest}
        (folder / f"{digest}.json").write_text(
            json.dumps(meta, ensure_ascii=False), encoding="utf-8"
        )
        return meta

    def describe(self, estate_id: str, digest: str) -> dict[str, Any] | None:
        if not _SHA.match(digest):
            return None
        meta = self._folder(estate_id) / f"{digest}.json"
        return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else None

    def read(self, estate_id: str, digest: str) -> tuple[bytes, dict[str, Any]] | None:
        meta = self.describe(estate_id, digest)
        if meta is None:
            return None
        return (self._folder(estate_id) / digest).read_bytes(), meta

    def _folder(self, estate_id: str) -> Path:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", estate_id):
            raise UploadRefused("bad estate id")
        return self.root / estate_id


def _clean_image(data: bytes, kind: str) -> tuple[bytes, str]:
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Turn the picture as the camera meant, then forget the EXIF that said so.
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
            out = io.BytesIO()
            if kind == "image/png" or image.mode in ("RGBA", "LA", "P"):
                image.save(out, format="PNG", optimize=True)
                return out.getvalue(), "image/png"
            image.convert("RGB").save(out, format="JPEG", quality=85)
            return out.getvalue(), "image/jpeg"
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UploadRefused("the picture cannot be read") from exc
