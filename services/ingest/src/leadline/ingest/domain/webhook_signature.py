"""Rule: a webhook is trusted only if ``X-Hub-Signature-256`` is the HMAC-SHA256 of its raw body.

Checked before anything is parsed, with a constant-time comparison.
"""

from __future__ import annotations

import hashlib
import hmac


def signature_is_valid(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())
