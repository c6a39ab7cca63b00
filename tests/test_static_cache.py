"""Static files over real HTTP: gzip for text, content ETags, 304 on revalidation, versioned URLs
cached for good; the served page versions every URL it names (its preloads: tests/browser/test_page_boot.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.conftest import RunningServer, free_port
from vrmon.client_page import ClientPage
from vrmon.security import inline_script_hashes
from vrmon.static_cache import CachedStaticFiles

ROOT = Path(__file__).resolve().parents[1]
HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
AFRAME = ROOT / "node_modules/aframe/dist/aframe-master.module.min.js"


def test_javascript_is_gzipped_and_revalidates_to_an_empty_304(vrmon_server):
    base = vrmon_server([HOTROD], host_metrics=False)
    with httpx.Client(base_url=base) as client:
        first = client.get("/vendor/aframe/aframe-master.module.min.js", headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200
        assert first.headers["content-encoding"] == "gzip"
        assert first.headers["content-type"].startswith("text/javascript")
        assert first.content == AFRAME.read_bytes()
        assert first.num_bytes_downloaded < AFRAME.stat().st_size / 3
        assert first.headers["cache-control"] == "no-cache"
        etag = first.headers["etag"]
        again = client.get("/vendor/aframe/aframe-master.module.min.js", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
        plain = client.get("/static/js/main.js", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == (ROOT / "static/js/main.js").read_bytes()


def test_a_changed_file_gets_a_new_etag(vrmon_server, tmp_path):
    (tmp_path / "a.js").write_text("export const a = 1;\n")
    server = RunningServer(Starlette(routes=[Mount("/s", CachedStaticFiles(directory=tmp_path))]), free_port()).start()
    try:
        with httpx.Client(base_url=server.url) as client:
            before = client.get("/s/a.js").headers["etag"]
            (tmp_path / "a.js").write_text("export const a = 22;\n")
            after = client.get("/s/a.js", headers={"If-None-Match": before})
            assert after.status_code == 200 and after.text == "export const a = 22;\n"
            assert after.headers["etag"] != before
    finally:
        server.stop()


def test_every_url_of_the_page_is_versioned_and_cached_for_good_while_the_page_revalidates(vrmon_server, tmp_path):
    base = vrmon_server([HOTROD], host_metrics=False)
    with httpx.Client(base_url=base) as client:
        page = client.get("/")
        assert page.headers["cache-control"] == "no-cache"
        assert client.get("/", headers={"If-None-Match": page.headers["etag"]}).status_code == 304
        html = page.text
        import_map = json.loads(re.search(r'<script type="importmap">(.*?)</script>', html, re.S).group(1))["imports"]
        named = set(re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html)) | set(import_map.values())
        assert len(named) > 40 and all("?v=" in url for url in named), [url for url in named if "?v=" not in url]
        for url in named:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["cache-control"] == "max-age=31536000, immutable", url
            assert url.endswith("?v=" + answer.headers["etag"].strip('"')), "the version is the content's hash"
        # modules import each other by plain paths: the import map sends each to its versioned URL
        assert import_map["/static/js/data/protocol.js"].startswith("/static/js/data/protocol.js?v=")
        assert import_map["/vendor/msgpack/decode.mjs"].startswith("/vendor/msgpack/decode.mjs?v=")
        outdated = client.get("/static/js/main.js?v=0123456789abcdef0123456789abcdef")
        assert outdated.status_code == 200 and outdated.headers["cache-control"] == "no-cache"
        # the Content-Security-Policy allows this page's import map (its hash), as served
        assert inline_script_hashes(html)[0] in page.headers["content-security-policy"]


def test_the_page_follows_a_file_changed_on_disk(tmp_path):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static)
    client_page = ClientPage(static, ROOT / "node_modules")
    before, hashes = client_page._current().html.body.decode(), client_page.script_hashes()
    main = static / "js/main.js"
    main.write_text(main.read_text() + "// changed\n")
    after = client_page._current().html.body.decode()
    version = lambda html: re.search(r'"/static/js/main.js\?v=([0-9a-f]+)"', html).group(1)  # noqa: E731
    assert version(after) != version(before)
    assert client_page.script_hashes() != hashes, "the import map changed, and its CSP hash with it"
