"""Rule: media is stored content-addressed: the same bytes are stored once, under their sha256."""

from __future__ import annotations

import hashlib
import mimetypes

_EXTENSION_OVERRIDES = {"audio/ogg": ".ogg", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4"}


def media_key(data: bytes, mime_type: str) -> tuple[str, str]:
    """The store key for these bytes (``ab/cd/<sha256><ext>``) and their sha256."""
    digest = hashlib.sha256(data).hexdigest()
    base_mime = mime_type.split(";")[0].strip().lower()
    extension = _EXTENSION_OVERRIDES.get(base_mime) or mimetypes.guess_extension(base_mime) or ".bin"
    return f"{digest[:2]}/{digest[2:4]}/{digest}{extension}", digest
