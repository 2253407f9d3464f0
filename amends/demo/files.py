"""The demo's attachments: a photo the customer sent and the scan of a delivery note, made here.

Each is small (a photo of about 20 kB, a one-page PDF of about 1 kB) and the same for the same case:
drawn from a random generator of its own, so the cases' draws are as they were before attachments.
The photo carries what a phone writes into one (its make and model, the time, where it was taken),
which the site's copy must not.
"""
from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw

# A case with attachments every this many cases: a few in every demo, and little for a build to copy.
EVERY = 100
# The place the demo's photos say they were taken: Hamburg's harbour, where the sample bakery is.
WHERE = {1: "N", 2: (53.0, 32.0, 41.0), 3: "E", 4: (9.0, 58.0, 12.0)}


def attachments_of(index: int) -> list[dict]:
    """What the index-th case lists under `attachments:` (none for most): a photo, and for every other one a letter."""
    if index % EVERY != 6:
        return []
    folder = f"attachments/demo-{index + 1:05d}"
    items = [{"file": f"{folder}/photo.jpg", "note": "the photo the customer sent"}]
    if index % (2 * EVERY) == 6:
        items.append({"file": f"{folder}/delivery-note.pdf", "note": "the signed delivery note, scanned"})
    return items


def files(n: int) -> list[tuple[str, bytes]]:
    """Every attachment file of n generated cases: (path from cases/, bytes)."""
    out = []
    for index in range(n):
        for item in attachments_of(index):
            made = photo(index) if item["file"].endswith(".jpg") else delivery_note(index)
            out.append((item["file"], made))
    return out


def photo(index: int) -> bytes:
    """A photo of a cracked cake stand on a counter, as a phone takes it (with EXIF: camera, time and GPS)."""
    rng = random.Random(index)
    image = Image.new("RGB", (640, 480), (rng.randint(190, 230), rng.randint(170, 200), rng.randint(140, 170)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 480), fill=(120, 90, 60))
    draw.ellipse((150, 230, 490, 350), fill=(235, 235, 240), outline=(160, 160, 170), width=4)
    draw.rectangle((300, 290, 340, 400), fill=(220, 220, 228))
    x, y, crack = 200, 280, [(200, 280)]
    while x < 440:
        x, y = x + rng.randint(15, 35), min(max(y + rng.randint(-18, 18), 245), 335)
        crack.append((x, y))
    draw.line(crack, fill=(60, 50, 50), width=3)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "DemoPhone", "DemoPhone 12"
    exif[0x0132] = f"2026:11:{1 + index % 28:02d} 10:{index % 60:02d}:00"
    exif[0x8825] = WHERE
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


def delivery_note(index: int) -> bytes:
    """A one-page PDF: the delivery note, as a scanner's text layer gives it."""
    return pdf([f"Harbour Lane Bakery - delivery note {1000 + index}", "Signed on delivery, 07:45."])


def pdf(lines: list[str]) -> bytes:
    """A valid one-page A4 PDF showing `lines` in Helvetica (Latin-1 text)."""
    text = "BT /F1 14 Tf 72 770 Td 18 TL " + " ".join(
        "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for line in lines) + " ET"
    stream = text.encode("latin-1")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, start)
    return bytes(out)
