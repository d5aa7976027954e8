"""Makes the fake's sample media (``src/leadline/fakegraph/samples/``): run by hand, never by tests or make.

The files are committed (a few KB each), so nothing here is needed to run or test leadline. To make them
again: ``pip install pillow`` in any venv, ``apt-get install ffmpeg``, then ``python make_samples.py``.
Formats follow what WhatsApp sends: a JPEG photo, an H.264 MP4 without sound for a GIF, an H.264/AAC MP4
video, an OGG/Opus voice note, an MP3 audio file, a one-page PDF and a 512x512 WebP sticker; and the fake Evolution
API's customer profile photo, a 96x96 JPEG portrait (``profile.jpg``, 1.4 KB).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "leadline" / "fakegraph" / "samples"
FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]


def car(size: tuple[int, int] = (640, 400)) -> Image.Image:
    """A red car on a road under a blue sky: the customer's photo."""
    img = Image.new("RGB", size)
    d = ImageDraw.Draw(img)
    w, h = size
    for y in range(h):  # sky
        t = y / h
        d.line([(0, y), (w, y)], fill=(int(126 + 110 * t), int(200 + 46 * t), int(240 + 15 * t)))
    d.rectangle([0, 300, w, h], fill=(91, 100, 112))  # road
    d.rectangle([0, 346, w, 352], fill=(240, 240, 240))
    d.rounded_rectangle([150, 210, 490, 300], 30, fill=(198, 40, 40))
    d.rounded_rectangle([220, 160, 420, 230], 30, fill=(198, 40, 40))
    d.rounded_rectangle([240, 172, 315, 222], 10, fill=(187, 222, 251))
    d.rounded_rectangle([325, 172, 400, 222], 10, fill=(187, 222, 251))
    d.rectangle([470, 240, 490, 258], fill=(255, 235, 59))
    for cx in (230, 410):
        d.ellipse([cx - 40, 260, cx + 40, 340], fill=(33, 33, 33))
        d.ellipse([cx - 18, 282, cx + 18, 318], fill=(158, 158, 158))
    return img


def sticker() -> Image.Image:
    """A smiley on a transparent 512x512 square, as WhatsApp stickers are."""
    s = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    d = ImageDraw.Draw(s)
    d.ellipse([56, 56, 456, 456], fill=(255, 202, 40, 255), outline=(255, 255, 255, 255), width=16)
    d.ellipse([170, 170, 220, 240], fill=(62, 39, 35, 255))
    d.ellipse([292, 170, 342, 240], fill=(62, 39, 35, 255))
    d.arc([150, 200, 362, 380], 20, 160, fill=(62, 39, 35, 255), width=18)
    return s


def driving_frames(folder: Path) -> None:
    """The car crossing the road, 24 frames: the GIF and the video."""
    for i in range(24):
        frame = Image.new("RGB", (320, 200), (230, 246, 255))
        fd = ImageDraw.Draw(frame)
        fd.rectangle([0, 150, 320, 200], fill=(91, 100, 112))
        x = -120 + i * 20
        fd.rounded_rectangle([x, 105, x + 120, 150], 12, fill=(198, 40, 40))
        fd.rounded_rectangle([x + 25, 80, x + 95, 112], 12, fill=(198, 40, 40))
        for cx in (x + 28, x + 92):
            fd.ellipse([cx - 14, 136, cx + 14, 164], fill=(33, 33, 33))
        frame.save(folder / f"frame{i:02d}.png")


def proposal_pdf() -> bytes:
    """A one-page proposal written by hand: Helvetica, WinAnsi text, a correct xref."""
    lines = [
        ("F2", 20, "Proposta comercial - Acme Motors"),
        ("F1", 12, "Cliente: Marcos Pereira"),
        ("F1", 12, "Veículo: Chevrolet Onix 2024 LT 1.0 Turbo"),
        ("F1", 12, "Valor à vista: R$ 98.990,00"),
        ("F1", 12, "Entrada + 36x de R$ 2.150,00 (taxa 1,29% a.m.)"),
        ("F1", 12, "Validade: 7 dias."),
    ]
    ops, y = [], 780
    for font, size, text in lines:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"BT /{font} {size} Tf 56 {y} Td ({escaped}) Tj ET")
        y -= 34 if size > 12 else 22
    stream = "\n".join(ops).encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def portrait(size: int = 96) -> Image.Image:
    """A head and shoulders on blue: a customer's WhatsApp profile photo (the one committed was drawn the same way by
    Chromium, which the browser tests install, and saved at JPEG quality 60)."""
    img = Image.new("RGB", (size, size), (61, 122, 184))
    d = ImageDraw.Draw(img)
    d.ellipse([12, 60, 84, 180], fill=(217, 65, 47))  # shoulders
    d.ellipse([30, 16, 66, 56], fill=(233, 185, 143))  # face
    d.rounded_rectangle([28, 10, 68, 30], 10, fill=(59, 38, 22))  # hair
    return img


def main() -> None:
    car().save(SAMPLES / "photo.jpg", quality=70, optimize=True)
    portrait().save(SAMPLES / "profile.jpg", quality=60, optimize=True)
    sticker().save(SAMPLES / "sticker.webp", lossless=False, quality=60)
    (SAMPLES / "proposta.pdf").write_bytes(proposal_pdf())
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp)
        driving_frames(frames)
        video_in = ["-framerate", "12", "-i", str(frames / "frame%02d.png")]
        h264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "baseline", "-movflags", "+faststart"]
        subprocess.run([*FFMPEG, *video_in, *h264, "-crf", "30", "-an", str(SAMPLES / "gif.mp4")], check=True)
        subprocess.run(
            [
                *FFMPEG,
                *video_in,
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=330:sample_rate=22050:duration=2",
                *h264,
                "-crf",
                "32",
                "-c:a",
                "aac",
                "-b:a",
                "24k",
                "-ac",
                "1",
                "-shortest",
                str(SAMPLES / "video.mp4"),
            ],
            check=True,
        )
    voice = "aevalsrc='0.35*sin(2*PI*(170+50*sin(2*PI*3*t))*t)*(0.55+0.45*sin(2*PI*5*t))':s=16000:d=3"
    subprocess.run(
        [
            *FFMPEG,
            "-f",
            "lavfi",
            "-i",
            voice,
            "-c:a",
            "libopus",
            "-b:a",
            "12k",
            "-ac",
            "1",
            "-application",
            "voip",
            str(SAMPLES / "voice.ogg"),
        ],
        check=True,
    )
    chime = "aevalsrc='0.3*sin(2*PI*440*t)*exp(-2*mod(t,0.5))':s=22050:d=2"
    subprocess.run(
        [
            *FFMPEG,
            "-f",
            "lavfi",
            "-i",
            chime,
            "-c:a",
            "libmp3lame",
            "-b:a",
            "24k",
            "-ac",
            "1",
            str(SAMPLES / "audio.mp3"),
        ],
        check=True,
    )


if __name__ == "__main__":
    main()
