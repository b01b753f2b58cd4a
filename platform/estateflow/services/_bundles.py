"""Bundles: everything a case depends on, hashed, stored as text, compiled again on load."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from estateflow.definitions import Bundle, load_bundle
from estateflow.errors import EstateFlowError


def bundle_hash(sources: Mapping[str, str]) -> str:
    """The content hash of a bundle's source files (path and text of each)."""
    digest = hashlib.sha256()
    for path in sorted(sources):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(sources[path].encode())
        digest.update(b"\0")
    return digest.hexdigest()


def compile_sources(estate_path: str, sources: Mapping[str, str]) -> Bundle:
    """Compile a stored bundle again, in a scratch folder laid out as it was."""
    with tempfile.TemporaryDirectory(prefix="estateflow-bundle-") as tmp:
        root = Path(tmp)
        for name, text in sources.items():
            relative = PurePosixPath(name)
            if relative.is_absolute() or ".." in relative.parts:
                raise EstateFlowError(f"a stored bundle names a file outside itself: {name}")
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        return load_bundle(root / PurePosixPath(estate_path).parent)
