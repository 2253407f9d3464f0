"""Markdown written in case files → safe HTML. The only place that happens.

Python-Markdown passes raw HTML straight through, so a `<script>` or an
`onerror=` pasted from a customer's email would run in the report. Everything
it produces goes through nh3 with a strict allow-list: no scripts, styles,
frames or images (an image could load from a remote host).
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

import markdown
import nh3
from markupsafe import Markup

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
_EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
# Below this many texts, starting worker processes costs more than it saves.
PARALLEL_FROM = 200


def to_html(text: str) -> Markup:
    """Render Markdown and strip everything that could run or load."""
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def to_html_many(texts: list[str]) -> list[str]:
    """Render many texts, on every core when there are enough to pay for starting processes."""
    workers = os.cpu_count() or 1
    if len(texts) < PARALLEL_FROM or workers < 2:
        return [str(to_html(text)) for text in texts]
    with ProcessPoolExecutor(workers) as pool:
        return [str(html) for html in pool.map(to_html, texts, chunksize=64)]
