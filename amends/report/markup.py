"""Markdown written in case files → safe HTML. The only place that happens.

cmark-gfm (GitHub's CommonMark, in C) renders the notes: GitHub's dialect is
the one people know, and it is fast enough that ten thousand cases take about
a second. Raw HTML in the notes is let through the renderer and then
everything goes through nh3 with a strict allow-list: no scripts, styles,
frames or images (an image could load from a remote host), so a `<script>` or
an `onerror=` pasted from a customer's email can never run in the report.
"""
from __future__ import annotations

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from markupsafe import Markup

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
_EXTENSIONS = ["table", "autolink", "strikethrough"]


def to_html(text: str) -> Markup:
    """Render Markdown and strip everything that could run or load."""
    html = cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)
