"""The homepage index: read a city's website (or a directory copy of it) into pages and passages.

    summary = SiteImporter(municipality, "https://www.city.example.jp/").run()
    summary = SiteImporter(municipality, "faq/demo/site").run()

* Discovery: the sitemap (``Sitemap:`` lines of robots.txt, else ``sitemap.xml`` at the site root,
  sitemap indexes followed), then the links of every fetched page that stay inside the site.
  robots.txt is obeyed; at most ``max_pages`` pages are fetched.
* Content: the main content of HTML pages by trafilatura (navigation, footers and side bars
  dropped, headings and tables kept); the text of PDF documents by pypdf.
* Passages: split at headings, every passage keeps its heading path (``["粗大ごみ", "申し込み方法"]``);
  long sections are split at paragraphs (then sentences) so no passage exceeds ``MAX_CHUNK_CHARS``.
* Updates: a page whose extracted content hash is unchanged is not rewritten; a page that
  disappeared (gone from the site, 404, or now disallowed by robots.txt) gets ``gone_at`` and
  loses its passages so it stops answering, but keeps its row for the record.

A directory is read as a copy of the site: its ``sitemap.xml`` and ``robots.txt`` are used and
the URLs under the sitemap's site root are mapped to files in the directory, so the demo city's
homepage imports offline. ``Page.url`` is stored relative to the site root (``kurashi/gomi/sodai.html``)
and resolved against ``Municipality.website_url`` when shown.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import ipaddress
import logging
import posixpath
import re
import socket
import time
import urllib.error
import urllib.request
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import lxml.html
from django.db import transaction
from django.utils import timezone
from lxml import etree

from .models import Chunk, Page

log = logging.getLogger(__name__)

USER_AGENT = "MadoguchiBot/0.1 (municipal help desk site indexer; +https://github.com/madoguchi/madoguchi)"
ROBOTS_AGENT = "MadoguchiBot"
MAX_CHUNK_CHARS = 500
DEFAULT_MAX_PAGES = 500
DEFAULT_TIMEOUT = 15.0
DEFAULT_DELAY = 1.0
MAX_CRAWL_DELAY = 30.0
MAX_SITEMAPS = 50
MAX_HTML_BYTES = 5 * 1024 * 1024
MAX_PDF_BYTES = 30 * 1024 * 1024
# Bump when extraction or chunking changes, so every page is re-chunked once.
CHUNKER_VERSION = "1"

HTML_SUFFIXES = {"", ".html", ".htm", ".shtml", ".xhtml", ".php", ".asp", ".aspx", ".jsp", ".cgi"}
PDF_SUFFIXES = {".pdf"}
HTML_TYPES = {"text/html", "application/xhtml+xml"}
PDF_TYPES = {"application/pdf", "application/x-pdf"}
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
SENTENCE_END = re.compile(r"(?<=[。．！？!?])|(?<=\.)\s+")


# --------------------------------------------------------------------------------------------
# Extraction and chunking
# --------------------------------------------------------------------------------------------


@dataclass
class Passage:
    heading_path: list[str]
    text: str


@dataclass
class Document:
    kind: str  # "html" or "pdf"
    title: str
    passages: list[Passage] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256(f"v{CHUNKER_VERSION}\0{self.kind}\0{self.title}".encode())
        for passage in self.passages:
            digest.update(("\0" + "\x1f".join(passage.heading_path) + "\0" + passage.text).encode())
        return digest.hexdigest()


def split_long(text: str, limit: int) -> list[str]:
    """Split one block longer than ``limit`` at line breaks, then sentence ends, then (last resort) hard."""
    if len(text) <= limit:
        return [text]
    if "\n" in text.strip():
        return pack(text.split("\n"), limit)
    pieces: list[str] = []
    current = ""
    for sentence in (s for s in SENTENCE_END.split(text) if s):
        while len(sentence) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:limit])
            sentence = sentence[limit:]
        if len(current) + len(sentence) > limit and current:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def pack(blocks: Iterable[str], limit: int = MAX_CHUNK_CHARS) -> list[str]:
    """Pack paragraphs into passages of at most ``limit`` characters, never splitting a paragraph
    that fits; a paragraph that does not fit alone is split at sentences."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        for piece in split_long(block, limit):
            extra = len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                out.append("\n".join(current))
                current, size = [], 0
                extra = len(piece)
            current.append(piece)
            size += extra
    if current:
        out.append("\n".join(current))
    return out


@dataclass
class _Section:
    heading_path: list[str]
    blocks: list[str] = field(default_factory=list)


def sections_to_passages(sections: list[_Section], limit: int = MAX_CHUNK_CHARS) -> list[Passage]:
    return [Passage(list(s.heading_path), text) for s in sections for text in pack(s.blocks, limit)]


def _clean(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    return "\n".join(line for line in lines if line)


def _xml_text(el) -> str:
    """Text of a trafilatura XML element, line breaks (``<lb/>``) kept."""
    parts = [el.text or ""]
    for child in el:
        parts.append("\n" if child.tag == "lb" else _xml_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _table_blocks(table, limit: int) -> list[str]:
    """A table as lines of ``cell | cell``; a long table is cut between rows, the header row repeated."""
    rows: list[str] = []
    preamble: list[str] = []
    header = None
    for row in table.iter("row"):
        cells = [" ".join(_xml_text(c).split()) for c in row if c.tag == "cell"]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        line = " | ".join(cells)
        if header is None and all(c.get("role") == "head" for c in row if c.tag == "cell"):
            header = line
            preamble, rows = rows, []
            continue
        rows.append(line)
    blocks: list[str] = []
    if header is None:
        preamble = []
    current = [*preamble, header] if header else []
    has_rows = False
    for line in rows:
        if has_rows and len("\n".join([*current, line])) > limit:
            blocks.append("\n".join(current))
            current, has_rows = ([header] if header else []), False
        current.append(line)
        has_rows = True
    if current:
        blocks.append("\n".join(current))
    return blocks


def _list_text(lst) -> str:
    items = []
    for item in lst:
        if item.tag != "item":
            continue
        nested = [c for c in item if c.tag == "list"]
        for c in nested:
            item.remove(c)
        text = " ".join(_xml_text(item).split())
        if text:
            items.append(f"・{text}")
        items.extend("  " + line for c in nested for line in _list_text(c).splitlines())
    return "\n".join(items)


def _is_label_only(text: str) -> bool:
    """A leftover label whose value the extractor dropped, e.g. "更新日：" without its date."""
    return len(text) <= 20 and text.endswith((":", "："))


def _walk_blocks(main, limit: int) -> Iterable[tuple[str, object]]:
    for el in main:
        tag = el.tag
        if tag == "head":
            yield "head", el
        elif tag in {"p", "quote", "code"}:
            yield "text", _clean(_xml_text(el))
        elif tag == "list":
            yield "text", _list_text(el)
        elif tag == "table":
            for block in _table_blocks(el, limit):
                yield "text", block
        elif tag == "graphic":
            continue
        elif len(el):
            yield from _walk_blocks(el, limit)
        else:
            yield "text", _clean(_xml_text(el))


def _heading_level(el) -> int:
    match = re.fullmatch(r"h([1-6])", el.get("rend", ""))
    return int(match.group(1)) if match else 2


def _html_title(html: bytes | str) -> str:
    try:
        tree = lxml.html.fromstring(html)
    except Exception:  # an unparseable page simply has no title
        return ""
    title = tree.findtext(".//title") or ""
    return " ".join(title.split())


def html_links(html: bytes | str, base_url: str) -> list[str]:
    """Absolute ``<a href>`` targets of a page, fragments dropped."""

    try:
        tree = lxml.html.fromstring(html, base_url=base_url)
    except Exception:
        return []
    base = tree.find(".//base[@href]")
    base_url = urljoin(base_url, base.get("href")) if base is not None else base_url
    links = []
    for a in tree.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        if (a.get("rel") or "").lower().find("nofollow") >= 0:
            continue
        links.append(urldefrag(urljoin(base_url, href))[0])
    return links


BOILERPLATE_TAGS = ("nav", "header", "footer", "aside")
BOILERPLATE_ROLES = ("navigation", "banner", "contentinfo", "search")


def strip_page_chrome(html: bytes | str):
    """The page as an lxml tree without its site-wide chrome: navigation anywhere, and page-level
    header, footer, aside (and their ARIA roles) outside ``<main>``/``<article>``. Semantic HTML
    only, no guessing by class names; trafilatura does the rest. Short pages need this: for them
    trafilatura falls back to a fuller extraction that would keep the menus."""

    try:
        tree = lxml.html.fromstring(html)
    except Exception:  # an unparseable page goes to trafilatura as it is
        return None
    for el in list(tree.iter(*BOILERPLATE_TAGS, "div", "section", "ul", "form")):
        if el.getparent() is None:
            continue
        tag = el.tag if isinstance(el.tag, str) else ""
        role = (el.get("role") or "").lower()
        navigation = tag == "nav" or role in ("navigation", "search")
        page_level = (tag in BOILERPLATE_TAGS or role in BOILERPLATE_ROLES) and not any(
            a.tag in ("main", "article") or (a.get("role") or "").lower() == "main" for a in el.iterancestors()
        )
        if navigation or page_level:
            el.drop_tree()
    return tree


def extract_html(html: bytes | str, url: str = "", limit: int = MAX_CHUNK_CHARS) -> Document:
    """Main content of an HTML page, split at headings into passages with their heading path."""
    import trafilatura  # noqa: PLC0415 (heavy: only the crawler needs it)

    stripped = strip_page_chrome(html)
    xml = trafilatura.extract(
        stripped if stripped is not None else html,
        url=url or None,
        output_format="xml",
        include_tables=True,
        include_comments=False,
        include_links=False,
        include_images=False,
        favor_recall=True,
        with_metadata=True,
    )
    title = ""
    sections: list[_Section] = []
    if xml:
        doc = etree.fromstring(xml.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
        title = " ".join((doc.get("title") or "").split())
        main = doc.find("main")
        blocks = list(_walk_blocks(main if main is not None else doc, limit))
        title = title or _html_title(html)
        has_h1 = any(kind == "head" and _heading_level(el) == 1 for kind, el in blocks)
        # Without an <h1>, the page title is the root of every heading path.
        stack: list[tuple[int, str]] = [] if has_h1 or not title else [(0, title)]
        current = _Section([h for _, h in stack])
        for kind, value in blocks:
            if kind == "head":
                text = " ".join(_xml_text(value).split())
                if not text:
                    continue
                if current.blocks:
                    sections.append(current)
                level = _heading_level(value)
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
                current = _Section([h for _, h in stack])
            elif value and not _is_label_only(value):
                current.blocks.append(value)
        if current.blocks:
            if not current.heading_path and title:
                current.heading_path = [title]
            sections.append(current)
        for section in sections:
            if not section.heading_path and title:
                section.heading_path = [title]
    else:
        title = _html_title(html)
    return Document("html", title or url, sections_to_passages(sections, limit), html_links(html, url))


def _pdf_paragraphs(text: str) -> list[str]:
    """Re-join the lines of PDF text into paragraphs: a blank line, or a line ending a sentence,
    ends a paragraph; wrapped lines are joined (with a space only between Latin words)."""
    paragraphs: list[str] = []
    current = ""
    for raw in text.replace("\r", "").split("\n"):
        line = " ".join(raw.split())
        if not line:
            if current:
                paragraphs.append(current)
                current = ""
            continue
        if current and current[-1].isascii() and current[-1].isalnum() and line[0].isascii():
            current += " " + line
        else:
            current += line
        if line.endswith(("。", "．", ".", "！", "？", "!", "?", ":", "：")):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def extract_pdf(data: bytes, url: str = "", limit: int = MAX_CHUNK_CHARS) -> Document:
    """Text of a PDF document, in passages under the document's title."""
    from pypdf import PdfReader  # noqa: PLC0415 (heavy: only the crawler needs it)

    reader = PdfReader(io.BytesIO(data), strict=False)
    title = ""
    try:
        if reader.metadata and reader.metadata.title:
            title = " ".join(str(reader.metadata.title).split())
    except Exception:  # broken metadata must not lose the text
        title = ""
    if not title:
        title = unquote(posixpath.basename(urlsplit(url).path)) or url
    blocks: list[str] = []
    for page in reader.pages:
        try:
            blocks.extend(_pdf_paragraphs(page.extract_text() or ""))
        except Exception as exc:  # one unreadable page must not lose the others
            log.warning("PDF %s: a page could not be read: %s", url, exc)
    passages = sections_to_passages([_Section([title], blocks)], limit)
    return Document("pdf", title, passages, [])


# --------------------------------------------------------------------------------------------
# Reading the site: a directory copy or HTTP(S)
# --------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: str  # "ok", "missing" (404/410/no file), "error", "skipped"
    content: bytes = b""
    kind: str = ""  # "html" or "pdf"
    reason: str = ""
    encoding: str = ""  # the charset the server declared, if any

    def html(self) -> bytes | str:
        """HTML as the server declared it: text when the header names a charset (Japanese sites often
        serve Shift_JIS without a meta tag), else the bytes for the parsers to detect."""
        if not self.encoding:
            return self.content
        try:
            text = self.content.decode(self.encoding, "replace")
        except LookupError:
            return self.content
        return XML_DECLARATION.sub("", text, count=1)


def kind_from_suffix(path: str) -> str:
    suffix = posixpath.splitext(urlsplit(path).path)[1].lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in HTML_SUFFIXES:
        return "html"
    return ""


class DirectorySource:
    """A directory holding a copy of the site: ``kurashi/gomi/sodai.html`` is a file in it."""

    is_remote = False

    def __init__(self, root: Path):
        self.root = root.resolve()

    def describe(self) -> str:
        return str(self.root)

    def _path(self, rel: str) -> Path | None:
        path_part = unquote(urlsplit(rel).path)
        if urlsplit(rel).query:
            return None
        if path_part == "" or path_part.endswith("/"):
            path_part += "index.html"
        path = (self.root / path_part).resolve()
        if not path.is_relative_to(self.root):
            return None
        if path.is_dir():
            path = path / "index.html"
        return path

    def exists(self, rel: str) -> bool:
        path = self._path(rel)
        return bool(path and path.is_file())

    def get(self, rel: str, *, want_kind: bool = True) -> Response:
        path = self._path(rel)
        if path is None or not path.is_file():
            return Response("missing", reason="no such file")
        kind = kind_from_suffix(path.name) if want_kind else "data"
        if not kind:
            return Response("skipped", reason="not an HTML or PDF file")
        limit = MAX_PDF_BYTES if kind == "pdf" else MAX_HTML_BYTES
        if path.stat().st_size > limit:
            return Response("skipped", reason=f"larger than {limit // (1024 * 1024)} MB")
        return Response("ok", path.read_bytes(), kind)

    def robots_txt(self) -> Response:
        return self.get("robots.txt", want_kind=False)

    def wait(self) -> None:
        return None

    def fetch_url(self, rel: str, canonical: str) -> str:
        return canonical


# --------------------------------------------------------------------------------------------
# Where the importer may connect: the site's own host, at public addresses only
# --------------------------------------------------------------------------------------------


class OffLimits(urllib.error.URLError):
    """A request that is never made: another host, or a private, loopback or link-local address."""


def address_allowed(ip: str, allow_private: bool = False) -> bool:
    """A public (global) address; with ``allow_private`` also private, loopback and link-local ones."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if address.is_multicast or address.is_unspecified:
        return False
    if allow_private and (
        address.is_loopback or address.is_link_local or (address.is_private and not address.is_reserved)
    ):
        return True
    return address.is_global and not address.is_reserved


def resolve(host: str, port: int, allow_private: bool = False) -> list[tuple]:
    """The host's addresses, checked before any connection; ``OffLimits`` if one of them is not allowed.

    A host that resolves to a private address as well as a public one is refused as a whole (a DNS
    answer crafted to reach the inside).
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise urllib.error.URLError(exc) from exc
    refused = [info[4][0] for info in infos if not address_allowed(info[4][0], allow_private)]
    if refused or not infos:
        raise OffLimits(
            f"{host} resolves to {', '.join(sorted(set(refused))) or 'nothing'}: a private, loopback or reserved "
            "address is not fetched (use --allow-private for a copy of the site on this machine or network)"
        )
    return infos


def _guarded_connection(allow_private: bool):
    """``socket.create_connection`` that connects only to the addresses ``resolve`` checked (no second
    lookup a DNS answer could change in between)."""

    def create_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None, **_kwargs):
        host, port = address
        last: OSError | None = None
        for family, socktype, proto, _name, sockaddr in resolve(host, port, allow_private):
            sock = socket.socket(family, socktype, proto)
            try:
                if timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        raise last or OSError(f"cannot connect to {host}")

    return create_connection


def guarded_opener(allow_private: bool = False) -> urllib.request.OpenerDirector:
    """An opener that connects only to checked addresses, follows redirects only on the same host
    (checked before following), and ignores proxy settings (a proxy would connect for us)."""

    connect = _guarded_connection(allow_private)

    class GuardedHTTPConnection(http.client.HTTPConnection):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect  # http.client's own is socket.create_connection

    class GuardedHTTPSConnection(http.client.HTTPSConnection):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = connect

    class GuardedHTTPHandler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(GuardedHTTPConnection, req)

    class GuardedHTTPSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(GuardedHTTPSConnection, req, context=self._context)

    class SameSiteRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            old, new = urlsplit(req.full_url), urlsplit(newurl)
            if new.scheme not in ("http", "https") or (new.hostname, new.port) != (old.hostname, old.port):
                raise OffLimits(f"redirected off the site to {newurl}")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), GuardedHTTPHandler, GuardedHTTPSHandler, SameSiteRedirects
    )


class HttpSource:
    """The live site over HTTP(S), fetched politely: our User-Agent, a timeout, a delay between requests.

    Only the site's own host is fetched, at public addresses only (checked before connecting, for
    every redirect and for what the host name resolves to); ``allow_private`` admits private and
    loopback addresses, for a copy of the site served on this machine or network.
    """

    is_remote = True

    def __init__(
        self,
        root_url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        delay: float = DEFAULT_DELAY,
        allow_private: bool = False,
    ):
        self.root_url = root_url
        self.timeout = timeout
        self.delay = delay
        self.allow_private = allow_private
        self._opener = guarded_opener(allow_private)
        self._last = 0.0

    def describe(self) -> str:
        return self.root_url

    def fetch_url(self, rel: str, canonical: str = "") -> str:
        return urljoin(self.root_url, rel)

    def wait(self) -> None:
        pause = self.delay - (time.monotonic() - self._last)
        if pause > 0:
            time.sleep(pause)
        self._last = time.monotonic()

    def _open(self, url: str, *, want_kind: bool) -> Response:
        if urlsplit(url).netloc != urlsplit(self.root_url).netloc:
            return Response("skipped", reason=f"not on the site: {url}")
        self.wait()
        request = urllib.request.Request(
            url,
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5",
            },
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:  # http(s) only
                final = response.geturl()
                if urlsplit(final).netloc != urlsplit(url).netloc:  # (the redirect handler refused it already)
                    return Response("skipped", reason=f"redirected off the site to {final}")
                ctype = (response.headers.get_content_type() or "").lower()
                if not want_kind:
                    return Response("ok", response.read(MAX_HTML_BYTES), "data")
                if ctype in PDF_TYPES:
                    kind, limit = "pdf", MAX_PDF_BYTES
                elif ctype in HTML_TYPES:
                    kind, limit = "html", MAX_HTML_BYTES
                else:
                    return Response("skipped", reason=f"content type {ctype}")
                data = response.read(limit + 1)
                if len(data) > limit:
                    return Response("skipped", reason=f"larger than {limit // (1024 * 1024)} MB")
                if response.headers.get("Content-Encoding") == "gzip":
                    data = gzip.decompress(data)
                return Response("ok", data, kind, encoding=response.headers.get_content_charset() or "")
        except OffLimits as exc:
            return Response("skipped", reason=str(exc.reason))
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return Response("missing", reason=f"HTTP {exc.code}")
            return Response("error", reason=f"HTTP {exc.code}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            return Response("error", reason=str(getattr(exc, "reason", exc)))

    def get(self, rel: str, *, want_kind: bool = True) -> Response:
        return self._open(self.fetch_url(rel), want_kind=want_kind)

    def robots_txt(self) -> Response:
        parts = urlsplit(self.root_url)
        return self._open(f"{parts.scheme}://{parts.netloc}/robots.txt", want_kind=False)


# --------------------------------------------------------------------------------------------
# Sitemaps and URLs
# --------------------------------------------------------------------------------------------


def parse_sitemap(data: bytes) -> tuple[list[str], list[str]]:
    """Return (page URLs, nested sitemap URLs) of a sitemap or sitemap index."""

    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
    except etree.XMLSyntaxError:
        return [], []
    if root is None:
        return [], []
    pages, nested = [], []
    for loc in root.iter("{*}loc", "loc"):
        url = (loc.text or "").strip()
        parent = loc.getparent()
        if not url or parent is None:
            continue
        (nested if etree.QName(parent).localname == "sitemap" else pages).append(url)
    return pages, nested


def as_directory_url(url: str) -> str:
    """``https://x.jp/city`` -> ``https://x.jp/city/``; ``https://x.jp/a/index.html`` -> ``https://x.jp/a/``."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.endswith("/"):
        last = path.rsplit("/", 1)[-1]
        path = path.rsplit("/", 1)[0] + "/" if "." in last else path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def relative_to(root: str, url: str) -> str | None:
    """The path of ``url`` relative to the site root (query kept), or None when outside it."""
    url = urldefrag(url)[0]
    r, u = urlsplit(root), urlsplit(url)
    if (u.scheme, u.netloc.lower()) != (r.scheme, r.netloc.lower()) or u.scheme not in ("http", "https"):
        return None
    path = posixpath.normpath(u.path or "/")
    if (u.path or "/").endswith("/") and path != "/":
        path += "/"
    root_path = r.path or "/"
    if path + "/" == root_path:
        path = root_path
    if not path.startswith(root_path):
        return None
    rel = path[len(root_path) :] + (f"?{u.query}" if u.query else "")
    return rel or "./"


# --------------------------------------------------------------------------------------------
# The importer
# --------------------------------------------------------------------------------------------


@dataclass
class Summary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    robots: int = 0
    failed: int = 0
    missing: int = 0
    duplicates: int = 0
    skipped: int = 0
    passages: int = 0
    bound_reached: bool = False
    site_root: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def fetched(self) -> int:
        return self.new + self.changed + self.unchanged + self.duplicates


class SiteImportError(Exception):
    pass


class SiteImporter:
    def __init__(
        self,
        municipality,
        source: str,
        *,
        base_url: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
        delay: float | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        follow_links: bool = True,
        chunk_chars: int = MAX_CHUNK_CHARS,
        progress: Callable[..., object] | None = None,
        allow_private: bool = False,
    ):
        self.municipality = municipality
        self.max_pages = max_pages
        self.follow_links = follow_links
        self.chunk_chars = chunk_chars
        self.progress_factory = progress
        self.base_url = as_directory_url(base_url) if base_url else None
        if source.startswith(("http://", "https://")):
            parts = urlsplit(source)
            if not parts.hostname:
                raise SiteImportError(f"{source} names no host")
            try:  # before anything is fetched: the site itself must be at an address we may reach
                resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), allow_private)
            except urllib.error.URLError as exc:
                raise SiteImportError(f"{source}: {exc.reason}") from None
            self.source: DirectorySource | HttpSource = HttpSource(
                as_directory_url(source),
                timeout=timeout,
                delay=DEFAULT_DELAY if delay is None else delay,
                allow_private=allow_private,
            )
            self.start_url = source
        else:
            path = Path(source)
            if not path.is_dir():
                raise SiteImportError(f"{source} is neither an http(s) URL nor a directory")
            self.source = DirectorySource(path)
            self.start_url = ""
        self.robots = RobotFileParser()
        self.summary = Summary()
        self.sitemap_failed = False

    # -- setup -----------------------------------------------------------------------------
    def _read_robots(self) -> list[str]:
        response = self.source.robots_txt()
        if response.status == "ok":
            self.robots.parse(response.content.decode("utf-8", "replace").splitlines())
        elif response.status == "error":
            # RFC 9309: an unreachable robots.txt (server error, network failure) means "assume
            # everything is disallowed"; a refusal (401/403) too. Stop here and keep the index as it
            # is, rather than taking every page for gone.
            self.robots.disallow_all = True
            raise SiteImportError(
                f"robots.txt could not be read ({response.reason}); nothing was fetched and the index is unchanged"
            )
        else:
            self.robots.allow_all = True  # no robots.txt: everything is allowed
        if isinstance(self.source, HttpSource):
            crawl_delay = self.robots.crawl_delay(ROBOTS_AGENT) if response.status == "ok" else None
            if crawl_delay:
                self.source.delay = max(self.source.delay, min(float(crawl_delay), MAX_CRAWL_DELAY))
        return list(self.robots.site_maps() or []) if response.status == "ok" else []

    def _read_sitemaps(self, declared: list[str]) -> tuple[list[str], str | None]:
        """Page URLs from the sitemap(s), and the URL the first sitemap is known by."""
        queue: deque[tuple[str, str]] = deque()  # (canonical URL or "", relative path)
        for url in declared:
            queue.append((url, ""))
        queue.append(("", "sitemap.xml"))
        pages: list[str] = []
        seen_rel: set[str] = set()
        known_as = None
        count = 0
        while queue and count < MAX_SITEMAPS:
            url, rel = queue.popleft()
            if url and not rel:
                rel = self._sitemap_rel(url, declared)
            if rel is None or rel in seen_rel:
                continue
            seen_rel.add(rel)
            response = self.source.get(rel, want_kind=False)
            if response.status == "error":
                self.sitemap_failed = True
                self.summary.problems.append(f"{rel}: {response.reason}")
            if response.status != "ok":
                continue
            count += 1
            found, nested = parse_sitemap(response.content)
            if found or nested:
                known_as = known_as or url or None
            pages.extend(found)
            for n in nested:
                queue.append((n, ""))
        return list(dict.fromkeys(pages)), known_as

    def _sitemap_rel(self, url: str, declared: list[str]) -> str | None:
        """Where to read a sitemap known by its public URL."""
        if isinstance(self.source, HttpSource):
            rel = relative_to(self.source.root_url, url)
            if rel is not None:
                return rel
            parts = urlsplit(url)
            root = self.base_url or (as_directory_url(declared[0]) if declared else f"{parts.scheme}://{parts.netloc}/")
            return relative_to(root, url)
        root = self.base_url or as_directory_url(declared[0] if declared else url)
        return relative_to(root, url)

    def _site_root(self, urls: list[str], declared_sitemap: str | None) -> str:
        if self.base_url:
            return self.base_url
        if isinstance(self.source, HttpSource):
            root = self.source.root_url
            if not urls or any(relative_to(root, u) is not None for u in urls):
                return root
            # A copy of another site served here (a mirror): the sitemap names the real site.
            if declared_sitemap:
                return as_directory_url(declared_sitemap)
            netloc = Counter(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}/" for u in urls).most_common(1)[0][0]
            return netloc
        if declared_sitemap:
            return as_directory_url(declared_sitemap)
        if urls:
            return self._root_matching_files(urls)
        return as_directory_url(self.municipality.website_url or "https://site.invalid/")

    def _root_matching_files(self, urls: list[str]) -> str:
        """For a directory copy: the site root under which the sitemap's URLs are files here."""
        origin = Counter(f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in urls).most_common(1)[0][0]
        same = [urlsplit(u).path for u in urls if u.startswith(origin)]
        common = posixpath.commonpath(same) if same else "/"
        candidates = []
        path = as_directory_url(origin + common)[len(origin) :]
        while True:
            candidates.append(path)
            if path == "/":
                break
            path = posixpath.dirname(path.rstrip("/")) + "/"
            path = path if path.startswith("/") else "/" + path
        sample = [u for u in urls if u.startswith(origin)][:50]
        best, best_hits = origin + "/", -1
        for candidate in candidates:
            root = origin + candidate
            hits = sum(1 for u in sample if (r := relative_to(root, u)) is not None and self.source.exists(r))
            if hits > best_hits:
                best, best_hits = root, hits
        return best

    # -- the run -----------------------------------------------------------------------------
    def run(self) -> Summary:
        declared = self._read_robots()
        sitemap_urls, declared_sitemap = self._read_sitemaps(declared)
        root = self._site_root(sitemap_urls, declared_sitemap or (declared[0] if declared else None))
        self.summary.site_root = root
        if not self.municipality.website_url:
            self.municipality.website_url = root
            self.municipality.save(update_fields=["website_url"])

        queue: deque[str] = deque()
        queued: set[str] = set()

        def enqueue(url: str) -> None:
            rel = relative_to(root, url)
            if rel is None or rel in queued or len(rel) > Page._meta.get_field("url").max_length:
                return
            if not kind_from_suffix(rel):
                return
            queued.add(rel)
            queue.append(rel)

        for url in sitemap_urls:
            enqueue(url)
        if not sitemap_urls:
            if isinstance(self.source, HttpSource):
                start_rel = relative_to(self.source.root_url, self.start_url or self.source.root_url)
            else:
                start_rel = "index.html" if self.source.exists("index.html") else "./"
            enqueue(urljoin(root, start_rel or "./"))

        existing = {p.url: p for p in Page.objects.filter(municipality=self.municipality)}
        alive: set[str] = set()  # pages seen on the site in this run (and kept)
        keep: set[str] = set()  # pages not checked this run (errors, page bound): left as they are
        dead: set[str] = set()  # pages known to be gone: missing, or now disallowed
        hashes: dict[str, str] = {}
        fetched = 0

        bar = self.progress_factory(total=min(len(queue), self.max_pages)) if self.progress_factory else None
        try:
            while queue:
                rel = queue.popleft()
                canonical = urljoin(root, rel)
                robots_url = self.source.fetch_url(rel, canonical)
                if not self.robots.can_fetch(ROBOTS_AGENT, robots_url):
                    self.summary.robots += 1
                    dead.add(rel)
                    continue
                if fetched >= self.max_pages:
                    self.summary.bound_reached = True
                    keep.add(rel)
                    keep.update(queue)
                    break
                fetched += 1
                response = self.source.get(rel)
                if bar is not None:
                    bar.update(1)
                if response.status == "missing":
                    dead.add(rel)
                    self.summary.missing += 1
                    self.summary.problems.append(f"{rel}: {response.reason}")
                    continue
                if response.status in ("error", "skipped"):
                    (keep if response.status == "error" else dead).add(rel)
                    if response.status == "error":
                        self.summary.failed += 1
                    else:
                        self.summary.skipped += 1
                    self.summary.problems.append(f"{rel}: {response.reason}")
                    continue
                try:
                    if response.kind == "pdf":
                        document = extract_pdf(response.content, canonical, self.chunk_chars)
                    else:
                        document = extract_html(response.html(), canonical, self.chunk_chars)
                except Exception as exc:  # one broken document must not stop the import
                    self.summary.failed += 1
                    keep.add(rel)
                    self.summary.problems.append(f"{rel}: could not be read ({exc})")
                    continue
                if self.follow_links or (response.kind == "html" and not sitemap_urls):
                    for link in document.links:
                        enqueue(link)
                elif response.kind == "html":
                    # Sitemap only: still take the documents (PDF) a listed page links to.
                    for link in document.links:
                        if kind_from_suffix(link) == "pdf":
                            enqueue(link)
                if bar is not None:
                    bar.total = min(len(queued), self.max_pages)
                    bar.refresh()
                digest = document.content_hash
                if digest in hashes:
                    self.summary.duplicates += 1
                    dead.add(rel)
                    continue
                hashes[digest] = rel
                alive.add(rel)
                self._store(rel, document, digest, existing.get(rel))
        finally:
            if bar is not None:
                bar.close()

        # Only a complete run says which pages are gone: no page bound hit, no fetch failed (a page
        # that timed out may hold the only links to others). Pages known dead always go.
        complete = not (self.summary.bound_reached or self.summary.failed or self.sitemap_failed)
        for rel, page in existing.items():
            if page.gone_at or rel in alive or rel in keep:
                continue
            if rel in dead or complete:
                self._gone(page)
        return self.summary

    def _store(self, rel: str, document: Document, digest: str, page: Page | None) -> None:
        now = timezone.now()
        title = document.title[: Page._meta.get_field("title").max_length]
        if page is not None and page.content_hash == digest and page.gone_at is None:
            Page.objects.filter(pk=page.pk).update(fetched_at=now)
            self.summary.unchanged += 1
            return
        with transaction.atomic():
            if page is None:
                page = Page.objects.create(
                    municipality=self.municipality,
                    url=rel,
                    title=title,
                    kind=document.kind,
                    content_hash=digest,
                    fetched_at=now,
                    changed_at=now,
                )
                self.summary.new += 1
            else:
                page.title, page.kind, page.content_hash = title, document.kind, digest
                page.fetched_at = page.changed_at = now
                page.gone_at = None
                page.save()
                page.chunks.all().delete()
                self.summary.changed += 1
            Chunk.objects.bulk_create(
                Chunk(
                    page=page,
                    municipality=self.municipality,
                    position=i,
                    heading_path=passage.heading_path,
                    text=passage.text,
                )
                for i, passage in enumerate(document.passages)
            )
        self.summary.passages += len(document.passages)

    def _gone(self, page: Page) -> None:
        with transaction.atomic():
            page.chunks.all().delete()
            page.gone_at = timezone.now()
            page.save(update_fields=["gone_at"])
        self.summary.gone += 1
