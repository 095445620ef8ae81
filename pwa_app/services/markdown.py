"""Markdown that staff write, turned into HTML that is safe to show anyone.

Two locks, each enough alone for what it guards: markdown-it-py renders CommonMark with raw
HTML switched off (a typed <script> stays text), and nh3 (the Ammonia sanitiser) then keeps
only an allowlist of tags and attributes: no script, no event handler, no style, links only
to http, https, mailto, tel or our own paths, images only from our own origin.
"""

from functools import lru_cache
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

# Bump when the rendering or the allowlist changes: phones then fetch the pages again.
RENDER_VERSION = "1"

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# (nh3 takes a tag's classes here, never "class" among its attributes)
ALLOWED_CLASSES = {"div": {"table-scroll"}}
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
LINK_REL = "noopener noreferrer nofollow"


def _own_path(url):
    """Tell whether a URL stays on our own origin: a path, never //host or scheme:..."""
    url = url.strip()
    if not url or url.startswith(("//", "\\", "/\\")):
        return False
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def _filter_attribute(tag, attribute, value):
    """Keep an image's source only when it is our own; everything else passes as allowed."""
    if tag == "img" and attribute == "src" and not _own_path(value):
        return None
    return value


def _markdown():
    """Build the renderer: CommonMark, tables and strikethrough, no raw HTML."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def heading(renderer, tokens, index, options, env):
        # The page's title is its only h1: a "#" in the text is a section (h2) under it.
        token = tokens[index]
        token.tag = f"h{max(int(token.tag[1]), 2)}"
        return renderer.renderToken(tokens, index, options, env)

    def table_open(renderer, tokens, index, options, env):
        # A wide table scrolls by itself on a 360 px phone; the page does not.
        return '<div class="table-scroll">' + renderer.renderToken(tokens, index, options, env)

    def table_close(renderer, tokens, index, options, env):
        return renderer.renderToken(tokens, index, options, env) + "</div>"

    def image(renderer, tokens, index, options, env):
        # An image from anywhere else would tell another site who reads the page: its words only.
        token = tokens[index]
        if not _own_path(token.attrGet("src") or ""):
            return escapeHtml(renderer.renderInlineAsText(token.children or [], options, env))
        return renderer.image(tokens, index, options, env)

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
    md.add_render_rule("image", image)
    return md


MARKDOWN = _markdown()


def sanitize(html):
    """Keep only the allowlisted tags, attributes and link targets of an HTML fragment."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=LINK_SCHEMES,
        link_rel=LINK_REL,
        strip_comments=True,
    )


@lru_cache(maxsize=512)
def render(text):
    """Return the safe HTML of a Markdown text (cached: pages are read far more than written)."""
    return sanitize(MARKDOWN.render(text or ""))


class _TextOnly(HTMLParser):
    """Collect the words of an HTML fragment: link texts and image descriptions included."""

    BREAKS = {"p", "br", "li", "tr", "td", "th", "h2", "h3", "h4", "h5", "h6", "pre", "div"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BREAKS:
            self.parts.append(" ")
        if tag == "img":
            self.parts.append(" " + (dict(attrs).get("alt") or "") + " ")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(markdown_text):
    """Return a Markdown text's words with its marks taken out, as search reads them."""
    parser = _TextOnly()
    parser.feed(render(markdown_text))
    parser.close()
    return " ".join(unescape("".join(parser.parts)).split())
