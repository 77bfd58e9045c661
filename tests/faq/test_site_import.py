"""import_site: sitemap and links, robots.txt, page bound, main content by headings, PDFs, hashes, gone pages.

Runs against a temporary directory (offline copy of a site) and against a local http.server on
127.0.0.1 serving the same files.
"""

from __future__ import annotations

import io
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from faq import sitecrawl
from faq.models import Chunk, Page

SITE = "https://www.city.test.example.jp/"

BOILERPLATE = """
<header><nav><ul><li><a href="{up}index.html">ホーム</a></li><li><a href="{up}gomi/sodai.html">粗大ごみ</a></li>
<li><a href="https://other.example.com/elsewhere.html">よその市</a></li>
<li><a href="mailto:info@example.jp">メール</a></li></ul></nav></header>
"""
FOOTER = "<footer><p>フッター専用の文言 みほん市役所 〒190-0000 サイトポリシー</p></footer>"


def page(title: str, body: str, up: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{title} | テスト市</title></head><body>'
        f"{BOILERPLATE.format(up=up)}<main>{body}</main>{FOOTER}</body></html>"
    )


LONG_PARAGRAPHS = "".join(
    f"<p>第{i}段落です。粗大ごみはインターネットでも電話でも申し込めます。受付センターの受付時間は平日の朝から夕方までです。"
    f"申し込みの際には品目と大きさをお伝えください。収集日の三日前までにお申し込みください。</p>"
    for i in range(1, 13)
)

SODAI = page(
    "粗大ごみ",
    "<h1>粗大ごみ</h1><p>一辺が50cmを超えるものは粗大ごみです。</p>"
    "<h2>申し込み方法</h2><p>粗大ごみ受付センターに申し込んでください。</p>"
    "<h3>インターネット</h3><p>インターネット受付は24時間受け付けています。</p>"
    f"<h2>よくある注意</h2>{LONG_PARAGRAPHS}"
    "<h2>手数料</h2><table><tr><th>品目</th><th>料金</th></tr><tr><td>タンス</td><td>1,000円</td></tr></table>",
    up="../",
)

INDEX = page(
    "トップページ",
    "<h1>テスト市</h1><p>テスト市の公式ホームページです。くらしの情報をお届けします。</p>"
    '<ul><li><a href="gomi/sodai.html">粗大ごみ</a></li><li><a href="gomi/linked.html">リンクだけのページ</a></li>'
    '<li><a href="private/secret.html">内部</a></li><li><a href="gomi/guide.pdf">ごみの手引き(PDF)</a></li>'
    '<li><a href="assets/photo.jpg">写真</a></li></ul>',
)

LINKED = page(
    "リンクだけのページ",
    "<h1>リンクだけのページ</h1><h2>資源回収</h2><p>資源回収は毎月第二土曜日に行います。サイトマップにはありません。</p>",
    up="../",
)

SECRET = page("内部", "<h1>内部</h1><p>SECRET-TEXT 公開してはいけない内容です。</p>", up="../")

ROBOTS = f"User-agent: *\nDisallow: /private/\n\nSitemap: {SITE}sitemap.xml\n"


def sitemap(paths: list[str]) -> str:
    urls = "".join(f"<url><loc>{SITE}{p}</loc></url>" for p in paths)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def make_pdf(lines: list[str], title: str = "Garbage guide") -> bytes:
    """A minimal one-page PDF with Helvetica text, written by hand (valid xref offsets)."""
    text = " ".join(f"({line}) Tj T*" for line in lines)
    content = f"BT /F1 12 Tf 14 TL 72 720 Td {text} ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.fixture
def site(tmp_path) -> Path:
    root = tmp_path / "site"
    (root / "gomi").mkdir(parents=True)
    (root / "private").mkdir()
    (root / "assets").mkdir()
    (root / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    (root / "sitemap.xml").write_text(
        sitemap(["index.html", "gomi/sodai.html", "private/secret.html", "gomi/missing.html"]), encoding="utf-8"
    )
    (root / "index.html").write_text(INDEX, encoding="utf-8")
    (root / "gomi" / "sodai.html").write_text(SODAI, encoding="utf-8")
    (root / "gomi" / "linked.html").write_text(LINKED, encoding="utf-8")
    (root / "private" / "secret.html").write_text(SECRET, encoding="utf-8")
    (root / "assets" / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "gomi" / "guide.pdf").write_bytes(
        make_pdf(["Bulky waste is collected by reservation.", "Call the reception centre on weekdays."])
    )
    return root


@pytest.fixture
def city(make_municipality):
    return make_municipality("testcity", website_url="http://127.0.0.1:8000/demo-site/")


def import_site(city, source, *extra) -> str:
    out = io.StringIO()
    call_command("import_site", city.slug, str(source), "--no-progress", *extra, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def chunks_of(city, url: str) -> list[Chunk]:
    return list(Chunk.objects.filter(municipality=city, page__url=url).order_by("position"))


EXPECTED_PAGES = {"index.html", "gomi/sodai.html", "gomi/linked.html", "gomi/guide.pdf"}


# --- directory ---------------------------------------------------------------------------------------


def test_directory_import_follows_sitemap_and_links_and_obeys_robots(site, city):
    out = import_site(city, site)
    assert "4 new" in out and "1 skipped by robots.txt" in out and "1 not found" in out
    pages = {p.url: p for p in Page.objects.filter(municipality=city)}
    assert set(pages) == EXPECTED_PAGES  # relative to the site root; no private page, no image
    assert not Chunk.objects.filter(text__contains="SECRET-TEXT").exists()
    assert pages["gomi/sodai.html"].title == "粗大ごみ"
    assert pages["gomi/guide.pdf"].kind == Page.Kind.PDF
    # Source links resolve against the municipality's website URL.
    assert chunks_of(city, "gomi/sodai.html")[0].source_url == "http://127.0.0.1:8000/demo-site/gomi/sodai.html"


def test_passages_keep_their_heading_path_and_are_bounded(site, city):
    import_site(city, site)
    passages = chunks_of(city, "gomi/sodai.html")
    paths = [c.heading_path for c in passages]
    assert ["粗大ごみ"] in paths
    assert ["粗大ごみ", "申し込み方法"] in paths
    assert ["粗大ごみ", "申し込み方法", "インターネット"] in paths
    internet = next(c for c in passages if c.heading_path == ["粗大ごみ", "申し込み方法", "インターネット"])
    assert "24時間" in internet.text
    long_parts = [c for c in passages if c.heading_path == ["粗大ごみ", "よくある注意"]]
    assert len(long_parts) >= 2  # a long section is split at paragraphs...
    assert all(len(c.text) <= sitecrawl.MAX_CHUNK_CHARS for c in passages)  # ...into bounded passages
    assert "第1段落" in long_parts[0].text and "第12段落" in long_parts[-1].text
    fees = next(c for c in passages if c.heading_path == ["粗大ごみ", "手数料"])
    assert "タンス | 1,000円" in fees.text  # tables kept
    everything = " ".join(c.text for c in Chunk.objects.filter(municipality=city))
    assert "フッター専用の文言" not in everything  # main content only: no footer / navigation
    assert "よその市" not in everything


def test_pdf_text_is_extracted(site, city):
    import_site(city, site)
    passages = chunks_of(city, "gomi/guide.pdf")
    text = " ".join(c.text for c in passages)
    assert "Bulky waste is collected by reservation." in text
    assert "Call the reception centre on weekdays." in text
    assert passages[0].heading_path == ["Garbage guide"]


def test_unchanged_pages_are_skipped_by_hash_and_changed_pages_rechunked(site, city):
    import_site(city, site)
    before = {c.pk for c in Chunk.objects.filter(municipality=city)}
    out = import_site(city, site)
    assert "0 new, 0 changed, 4 unchanged, 0 gone" in out
    assert {c.pk for c in Chunk.objects.filter(municipality=city)} == before  # nothing rewritten

    (site / "gomi" / "sodai.html").write_text(SODAI.replace("24時間受け付けて", "毎日6時から23時まで受け付けて"))
    out = import_site(city, site)
    assert "0 new, 1 changed, 3 unchanged" in out
    texts = " ".join(c.text for c in chunks_of(city, "gomi/sodai.html"))
    assert "毎日6時から23時" in texts and "24時間" not in texts
    assert {c.pk for c in chunks_of(city, "index.html")} <= before  # other pages untouched


def test_removed_page_is_marked_gone_and_its_passages_deleted(site, city):
    import_site(city, site)
    assert chunks_of(city, "gomi/linked.html")
    (site / "gomi" / "linked.html").unlink()
    out = import_site(city, site)
    assert "1 gone" in out
    gone = Page.objects.get(municipality=city, url="gomi/linked.html")
    assert gone.gone_at is not None
    assert not chunks_of(city, "gomi/linked.html")
    assert not Chunk.objects.filter(text__contains="資源回収は毎月").exists()
    # It comes back when the page does.
    (site / "gomi" / "linked.html").write_text(LINKED, encoding="utf-8")
    out = import_site(city, site)
    gone.refresh_from_db()
    assert gone.gone_at is None and chunks_of(city, "gomi/linked.html")


def test_page_disallowed_later_stops_answering(site, city):
    import_site(city, site)
    (site / "robots.txt").write_text(
        ROBOTS.replace("Disallow: /private/", "Disallow: /private/\nDisallow: /gomi/linked")
    )
    out = import_site(city, site)
    assert "2 skipped by robots.txt" in out
    assert Page.objects.get(municipality=city, url="gomi/linked.html").gone_at is not None
    assert not chunks_of(city, "gomi/linked.html")


def test_page_bound_is_respected_and_unvisited_pages_are_kept(site, city):
    out = import_site(city, site, "--max-pages", "2")
    assert Page.objects.filter(municipality=city).count() == 2
    assert "Stopped at --max-pages 2" in out
    import_site(city, site)
    assert Page.objects.filter(municipality=city).count() == 4
    out = import_site(city, site, "--max-pages", "1")
    assert "0 gone" in out  # pages not visited because of the bound are not taken for gone
    assert not Page.objects.filter(municipality=city, gone_at__isnull=False).exists()


def test_directory_without_sitemap_follows_links_from_index(site, city):
    (site / "sitemap.xml").unlink()
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    import_site(city, site, "--base-url", SITE)
    assert set(Page.objects.filter(municipality=city).values_list("url", flat=True)) == EXPECTED_PAGES


def test_sitemap_only_takes_listed_pages_and_their_documents(site, city):
    import_site(city, site, "--sitemap-only")
    urls = set(Page.objects.filter(municipality=city).values_list("url", flat=True))
    assert urls == {"index.html", "gomi/sodai.html", "gomi/guide.pdf"}  # the PDF linked from a listed page


def test_blank_website_url_is_set_to_the_site_root(site, make_municipality):
    city = make_municipality("blank")
    import_site(city, site)
    city.refresh_from_db()
    assert city.website_url == SITE
    assert (
        Chunk.objects.filter(municipality=city, page__url="gomi/sodai.html")[0].source_url == SITE + "gomi/sodai.html"
    )


# --- over HTTP -----------------------------------------------------------------------------------------


class RecordingHandler(SimpleHTTPRequestHandler):
    requests: list[tuple[str, str]] = []
    failing: set[str] = set()

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("User-Agent", "")))
        if self.path in self.failing:
            self.send_error(500)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_site(site):
    RecordingHandler.requests = []
    RecordingHandler.failing = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(RecordingHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", RecordingHandler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_http_import_respects_robots_and_identifies_itself(http_site, city):
    url, requests = http_site
    out = import_site(city, url, "--delay", "0", "--allow-private")
    assert "4 new" in out and "1 skipped by robots.txt" in out
    assert set(Page.objects.filter(municipality=city).values_list("url", flat=True)) == EXPECTED_PAGES
    paths = [p for p, _ua in requests]
    assert "/robots.txt" in paths and "/sitemap.xml" in paths
    assert not any(p.startswith("/private/") for p in paths)
    assert "/assets/photo.jpg" not in paths
    assert all(ua.startswith("MadoguchiBot/") for _p, ua in requests)
    sodai = chunks_of(city, "gomi/sodai.html")
    assert ["粗大ごみ", "申し込み方法"] in [c.heading_path for c in sodai]
    pdf = " ".join(c.text for c in chunks_of(city, "gomi/guide.pdf"))
    assert "collected by reservation" in pdf


def test_http_import_bound_hash_skip_and_gone(http_site, site, city):
    url, requests = http_site
    import_site(city, url, "--delay", "0", "--allow-private", "--max-pages", "2")
    fetched_pages = [p for p, _ua in requests if p not in ("/robots.txt", "/sitemap.xml")]
    assert len(fetched_pages) == 2
    import_site(city, url, "--delay", "0", "--allow-private")
    before = {c.pk for c in Chunk.objects.filter(municipality=city)}
    out = import_site(city, url, "--delay", "0", "--allow-private")
    assert "4 unchanged" in out
    assert {c.pk for c in Chunk.objects.filter(municipality=city)} == before
    (site / "gomi" / "linked.html").unlink()  # now a 404
    out = import_site(city, url, "--delay", "0", "--allow-private")
    assert "1 gone" in out
    assert Page.objects.get(municipality=city, url="gomi/linked.html").gone_at is not None
    assert not chunks_of(city, "gomi/linked.html")


def test_failures_never_take_pages_for_gone(http_site, site, city):
    url, _requests = http_site
    import_site(city, url, "--delay", "0", "--allow-private")
    passages = Chunk.objects.filter(municipality=city).count()
    # A server error on the page that alone links to linked.html: that page is not taken for gone.
    RecordingHandler.failing = {"/index.html"}
    out = import_site(city, url, "--delay", "0", "--allow-private")
    assert "1 failed" in out and "0 gone" in out
    assert not Page.objects.filter(municipality=city, gone_at__isnull=False).exists()
    assert Chunk.objects.filter(municipality=city).count() == passages
    # The whole site unreachable (robots.txt fails): the command stops and the index stays.
    RecordingHandler.failing = {"/robots.txt"}

    with pytest.raises(CommandError, match="index is unchanged"):
        import_site(city, url, "--delay", "0", "--allow-private")
    assert Chunk.objects.filter(municipality=city).count() == passages


def test_http_site_without_sitemap_is_crawled_by_links(http_site, site, city):
    url, _requests = http_site
    (site / "sitemap.xml").unlink()
    (site / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    out = import_site(city, url, "--delay", "0", "--allow-private")
    # The home page is the site root itself; its index.html link is the same content, kept once.
    expected = EXPECTED_PAGES - {"index.html"} | {"./"}
    assert set(Page.objects.filter(municipality=city).values_list("url", flat=True)) == expected
    assert "1 duplicates" in out
    assert Page.objects.get(municipality=city, url="./").chunks.first().source_url == city.website_url


def test_robots_txt_server_error_stops_the_crawl(city, tmp_path):
    class Failing(SimpleHTTPRequestHandler):
        def do_GET(self):
            self.send_error(503)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CommandError, match="robots.txt"):
            import_site(city, f"http://127.0.0.1:{server.server_address[1]}/", "--delay", "0", "--allow-private")
    finally:
        server.shutdown()
        server.server_close()
    assert not Page.objects.exists()


# --- units -----------------------------------------------------------------------------------------------


def test_pack_keeps_paragraphs_whole_and_bounds_length():
    paragraphs = ["あ" * 200, "い" * 200, "う" * 200, "え" * 1200]
    parts = sitecrawl.pack(paragraphs, 500)
    assert parts[0] == "あ" * 200 + "\n" + "い" * 200
    assert parts[1] == "う" * 200
    assert all(len(p) <= 500 for p in parts)
    assert "".join(parts[2:]) == "え" * 1200


def test_long_paragraph_splits_at_sentence_ends():
    text = "。".join(["粗大ごみは予約制です"] * 80) + "。"
    parts = sitecrawl.split_long(text, 100)
    assert all(len(p) <= 100 for p in parts)
    assert all(p.endswith("。") for p in parts)
    assert "".join(parts) == text


def test_page_without_h1_uses_title_as_root_of_heading_path():
    html = page("住民票", "<h2>窓口</h2><p>市民課の窓口で請求できます。本人確認書類をお持ちください。</p>").encode()
    document = sitecrawl.extract_html(html, SITE + "juminhyo.html")
    assert document.passages[0].heading_path == ["住民票", "窓口"]


def test_site_root_relative_paths():
    assert sitecrawl.relative_to(SITE, SITE + "gomi/sodai.html") == "gomi/sodai.html"
    assert sitecrawl.relative_to(SITE, SITE + "gomi/../gomi/sodai.html#top") == "gomi/sodai.html"
    assert sitecrawl.relative_to(SITE, SITE) == "./"
    assert sitecrawl.relative_to(SITE + "city/", SITE + "other/x.html") is None
    assert sitecrawl.relative_to(SITE, "https://other.example.com/x.html") is None


def test_charset_from_the_http_header_is_used_when_the_page_has_no_meta():
    html = (
        "<html><head><title>ごみ</title></head>"
        "<body><main><h1>ごみの出し方</h1><p>燃やすごみは月曜日です。</p></main></body></html>"
    )
    response = sitecrawl.Response("ok", html.encode("cp932"), "html", encoding="shift_jis")
    document = sitecrawl.extract_html(response.html(), SITE + "gomi.html")
    assert document.passages[0].text == "燃やすごみは月曜日です。"


def test_article_header_is_kept_while_site_chrome_goes():
    html = page(
        "お知らせ",
        "<article><header><h1>臨時窓口のお知らせ</h1></header><p>12月28日は臨時に窓口を開けます。午前のみです。</p></article>",
    ).encode()
    document = sitecrawl.extract_html(html, SITE + "news.html")
    assert document.passages[0].heading_path == ["臨時窓口のお知らせ"]
    assert "ホーム" not in " ".join(p.text for p in document.passages)


# --- where the importer may connect ------------------------------------------------------------------------


class Redirecting(SimpleHTTPRequestHandler):
    """robots.txt and sitemap as usual; every page redirects to ``target``."""

    target = ""
    site = ""
    requests: list[str] = []

    def do_GET(self):
        self.requests.append(self.path)
        if self.path == "/robots.txt":
            body = b"User-agent: *\nAllow: /\n"
        elif self.path == "/sitemap.xml":
            loc = f"<url><loc>{self.site}a.html</loc></url>"
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{loc}</urlset>'.encode()
        else:
            self.send_response(302)
            self.send_header("Location", self.target)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(handler) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_a_loopback_or_private_site_is_not_fetched_without_allow_private(http_site, city):
    url, requests = http_site
    for source in (url, url.replace("127.0.0.1", "localhost")):  # by address, and by a name resolving to it
        with pytest.raises(CommandError, match="private, loopback"):
            import_site(city, source, "--delay", "0")
    assert requests == []  # checked before connecting: not even robots.txt was asked for
    assert not Page.objects.exists()


def test_a_redirect_off_the_site_is_refused_before_it_is_followed(city):
    elsewhere, elsewhere_url = serve(RecordingHandler)
    Redirecting.requests = []
    Redirecting.target = elsewhere_url + "secret.html"
    RecordingHandler.requests = []
    site, site_url = serve(Redirecting)
    Redirecting.site = site_url
    try:
        out = import_site(city, site_url, "--delay", "0", "--allow-private")
    finally:
        site.shutdown()
        elsewhere.shutdown()
    assert "/a.html" in Redirecting.requests
    assert RecordingHandler.requests == []  # the other host was never asked
    assert "0 new" in out


@pytest.mark.parametrize(
    ("address", "allowed", "with_flag"),
    [
        ("93.184.216.34", True, True),
        ("2606:2800:220:1:248:1893:25c8:1946", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("10.0.0.5", False, True),
        ("172.16.3.4", False, True),
        ("192.168.1.10", False, True),
        ("169.254.169.254", False, True),  # cloud metadata
        ("fe80::1", False, True),
        ("100.64.0.1", False, False),  # carrier-grade NAT: neither public nor a private network of ours
        ("0.0.0.0", False, False),
        ("224.0.0.1", False, False),
        ("240.0.0.1", False, False),
    ],
)
def test_which_addresses_may_be_fetched(address, allowed, with_flag):
    assert sitecrawl.address_allowed(address) is allowed
    assert sitecrawl.address_allowed(address, allow_private=True) is with_flag
