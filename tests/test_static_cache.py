"""Static files over real HTTP: gzip for text, content ETags, 304 on revalidation; modulepreload links stay true."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount

from tests.conftest import RunningServer, free_port
from vrmon.static_cache import CachedStaticFiles

ROOT = Path(__file__).resolve().parents[1]
HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"
AFRAME = ROOT / "node_modules/aframe/dist/aframe-master.min.js"
MODULE_DIRS = {"/static/": ROOT / "static", "/vendor/msgpack/": ROOT / "node_modules/@msgpack/msgpack/dist.esm"}
STATIC_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;"']*?["']([^"']+)["']""", re.M)


def test_javascript_is_gzipped_and_revalidates_to_an_empty_304(vrmon_server):
    base = vrmon_server([HOTROD], host_metrics=False)
    with httpx.Client(base_url=base) as client:
        first = client.get("/vendor/aframe/aframe-master.min.js", headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200
        assert first.headers["content-encoding"] == "gzip"
        assert first.headers["content-type"].startswith("text/javascript")
        assert first.content == AFRAME.read_bytes()
        assert first.num_bytes_downloaded < AFRAME.stat().st_size / 3
        assert first.headers["cache-control"] == "no-cache"
        etag = first.headers["etag"]
        again = client.get("/vendor/aframe/aframe-master.min.js", headers={"If-None-Match": etag})
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


def test_every_modulepreload_link_is_a_module_the_page_imports_at_start():
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', (ROOT / "static/index.html").read_text())
    imported = static_import_closure("/static/js/main.js")
    assert preloaded, "index.html preloads nothing"
    assert [url for url in preloaded if url not in imported] == []
    assert not [url for url in preloaded if "/xr/vr-" in url or "troika" in url], "headset code loads on demand"


def static_import_closure(entry: str) -> set[str]:
    """URLs of every module `entry` imports statically, transitively (dynamic import() excluded)."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        prefix = next(p for p in MODULE_DIRS if url.startswith(p))
        source = (MODULE_DIRS[prefix] / url[len(prefix):]).read_text()
        for spec in STATIC_IMPORT.findall(source):
            if spec.startswith("/"):
                todo.append(spec)
            elif spec.startswith("."):
                parts: list[str] = []
                for part in (url.rsplit("/", 1)[0] + "/" + spec).split("/"):
                    if part == "..":
                        parts.pop()
                    elif part != ".":
                        parts.append(part)
                todo.append("/".join(parts))
    return seen
