"""Markdown written in case files → safe HTML. The only place that happens.

cmark-gfm (GitHub's CommonMark, in C) renders the notes: GitHub's dialect is
the one people know, and it is fast enough that ten thousand cases take about
a second. Raw HTML in the notes is let through the renderer and then
everything goes through nh3 with a strict allow-list: no scripts, styles or
frames, so a `<script>` or an `onerror=` pasted from a customer's email can
never run in the report. An image shows only when it is one of the case's
attachments (its thumbnail in the site); any other, which could load from a
remote host, is shown as its words.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options
from markupsafe import Markup

from amends.cases.attachments import note_target

_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub", "img",
}
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}, "img": {"src", "alt", "title"}}
_EXTENSIONS = ["table", "autolink", "strikethrough"]
# nh3 writes every attribute in double quotes, with '"' and '>' escaped in it, in an order of its own.
_IMG = re.compile(r'<img((?:\s+[a-z-]+="[^"]*")*)\s*/?>')
_ATTRIBUTE = re.compile(r'\s([a-z-]+)="([^"]*)"')


def _words(image: re.Match) -> str:
    """An image left without its src (no attachment of the case) as its words, escaped as in its alt attribute."""
    attributes = dict(_ATTRIBUTE.findall(image.group(1)))
    if "src" not in attributes:
        return attributes.get("alt", "")
    # Raw HTML may leave out the alt: none at all would be invalid, and read out as the file's address.
    return image.group(0) if "alt" in attributes else f'<img{image.group(1)} alt="">'



def to_html(text: str, images: Mapping[str, str] | None = None, files: Mapping[str, str] | None = None) -> Markup:
    """Render Markdown and strip everything that could run or load.

    `images` holds the address of each image attachment's thumbnail by its name (as the notes write it,
    from the case file's folder), and `files` that of each attachment's copy: an image of the notes shows
    only when it names an image attachment, and a link that names an attachment leads to its copy.
    """
    images, files = images or {}, files or {}

    def kept(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            return images.get(note_target(value) or "")
        if tag == "a" and attribute == "href":
            return files.get(note_target(value) or "", value)
        return value

    html = cmarkgfm.markdown_to_html_with_extensions(text, options=Options.CMARK_OPT_UNSAFE, extensions=_EXTENSIONS)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=kept,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # An image that is no attachment of the case is its words, as escaped in its alt attribute.
    return Markup(_IMG.sub(_words, clean))
