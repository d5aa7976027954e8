"""Real small media files the fake hands out when a simulated customer sends media without naming one.

``leadline simulate say --kind image`` (and the control API without a ``media_id``) must give ingest
something it can download and an agent can look at: a JPEG photo, an MP4 GIF (H.264, no sound), an
OGG/Opus voice note, an MP3 audio file, an MP4 video, a PDF proposal and a WebP sticker, each a few
KB, shipped in ``samples/`` (``tools/make_samples.py`` made them).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Sample:
    """One shipped file and how WhatsApp would describe it."""

    file: str
    mime_type: str
    filename: str | None = None
    """The name a customer's document carries; other kinds have none."""

    def read(self) -> bytes:
        return resources.files("leadline.fakegraph").joinpath("samples", self.file).read_bytes()


SAMPLES: dict[str, Sample] = {
    "image": Sample("photo.jpg", "image/jpeg"),
    "gif": Sample("gif.mp4", "video/mp4"),
    "voice": Sample("voice.ogg", "audio/ogg; codecs=opus"),
    "audio": Sample("audio.mp3", "audio/mpeg"),
    "video": Sample("video.mp4", "video/mp4"),
    "document": Sample("proposta.pdf", "application/pdf", filename="proposta-onix-2024.pdf"),
    "sticker": Sample("sticker.webp", "image/webp"),
}
"""The sample for each media kind a customer can send."""


def sample_for(kind: str) -> Sample | None:
    return SAMPLES.get(kind)
