"""Names made from text that people typed: the one recipe for a slug, shared by case files and pages."""
from __future__ import annotations

import hashlib
import re
import unicodedata


# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                          "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ı": "i"})


def slugify(text: str) -> str:
    """A URL-safe, readable name; text with no Latin letters gets a stable hash."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_LETTERS)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-")
    return slug or "x-" + hashlib.sha1(text.encode()).hexdigest()[:8]
