"""The wheel works on its own: built from this checkout, installed into a fresh virtual
environment outside it, `vrmon serve` run from another directory serves the page and every file
the page references (scripts, styles, the import map's modules and what they import, fonts).

The wheel is built with the project venv's setuptools (no build isolation: it would download
setuptools on every run), and the fresh venv borrows the project venv's third-party packages
through a path file; vrmon itself comes only from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.conftest import FIXTURES, ROOT, free_port

NODE_MODULES = ROOT / "node_modules"

# what a module asks for: import/export … from "x", import "x", import("x"), and absolute
# /static/ or /vendor/ paths in strings (fonts loaded by code); what a stylesheet asks for: url(x)
_MODULE_REFERENCES = [
    re.compile(r"""\b(?:import|export)\b[^'";]*?\bfrom\s*["']([^"']+)["']"""),
    re.compile(r"""\bimport\s*["']([^"']+)["']"""),
    re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)"""),
    re.compile(r"""["'](/(?:static|vendor)/[^"'\s]+)["']"""),
    re.compile(r"""["'](\.{1,2}/[^"'\s]+\.m?js)["']"""),  # modules named in a list and imported on demand
]
_STYLE_REFERENCES = [re.compile(r"""url\(\s*["']?([^"')]+)["']?\s*\)""")]


class _PageLinks(HTMLParser):
    """Scripts, module scripts, stylesheets and the import map of index.html."""

    def __init__(self) -> None:
        super().__init__()
        self.classic: list[str] = []
        self.modules: list[str] = []
        self.styles: list[str] = []
        self.import_map: dict[str, str] = {}
        self._in_import_map = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "script" and attr.get("type") == "importmap":
            self._in_import_map = True
        elif tag == "script" and attr.get("src"):
            (self.modules if attr.get("type") == "module" else self.classic).append(attr["src"])
        elif tag == "link" and attr.get("href") and not attr["href"].startswith("data:"):
            self.styles.append(attr["href"])

    def handle_data(self, data: str) -> None:
        if self._in_import_map:
            self.import_map.update(json.loads(data)["imports"])

    def handle_endtag(self, tag: str) -> None:
        self._in_import_map = False


def crawl(base_url: str) -> dict[str, int]:
    """GET the page and, transitively, every same-origin file it references: URL path → bytes."""
    fetched: dict[str, int] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        index = client.get("/")
        assert index.status_code == 200
        page = _PageLinks()
        page.feed(index.text)
        fetched["/"] = len(index.content)
        assert page.modules and page.import_map
        for url in page.classic:  # a classic script (none today: A-Frame is loaded as modules): fetched, not read for imports
            fetched[url] = _get(client, url)
        pending = [*page.modules, *page.styles, *page.import_map.values()]
        while pending:
            url = pending.pop()
            if url in fetched:
                continue
            response = client.get(url)
            assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
            assert response.content, f"{url} is empty"
            fetched[url] = len(response.content)
            path = urlsplit(url).path  # without the content version (?v=…)
            if path.endswith(".css"):
                patterns = _STYLE_REFERENCES
            elif path.endswith((".js", ".mjs")):
                patterns = _MODULE_REFERENCES
            else:
                continue  # fonts
            for pattern in patterns:
                for ref in pattern.findall(response.text):
                    target = page.import_map.get(ref) or urljoin(url, ref)
                    if not urlsplit(target).scheme and not target.startswith("data:"):
                        pending.append(target)
    return fetched


def _get(client: httpx.Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    return len(response.content)


def _run(*command: str | Path, **options) -> str:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120, **options)
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.skipif(not (NODE_MODULES / ".package-lock.json").exists(), reason="node_modules missing (npm ci)")
def test_the_installed_wheel_serves_the_page_and_every_file_it_references(tmp_path):
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--wheel-dir", dist, ROOT)
    (wheel,) = dist.glob("vrmon-*.whl")

    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "project-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel)

    # vrmon comes from the wheel, and finds its client in the package, not in this checkout
    where = _run(python, "-c", "import vrmon, vrmon.settings as s; print(vrmon.__file__); print(s.PACKAGE_ROOT)",
                 cwd=elsewhere).split()
    assert all(Path(p).is_relative_to(venv) for p in where), where

    trace = elsewhere / "trace.json"
    trace.write_bytes((FIXTURES / "otlp-hotrod-dispatch-40spans-serial.json").read_bytes())
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VRMON_")}
    server = subprocess.Popen([venv / "bin" / "vrmon", "serve", "--replay", "trace.json", "--port", str(port),
                               "--no-host-metrics"], cwd=elsewhere, env=env, stderr=subprocess.PIPE, text=True)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(base_url, server)
        fetched = crawl(base_url)
    finally:
        server.terminate()
        server.wait(timeout=10)
    served = {url.split("?v=")[0] for url in fetched}  # the page names its files at content-versioned URLs
    for expected in ("/static/js/main.js", "/static/js/data/protocol.js", "/vendor/aframe/aframe-master.module.min.js",
                     "/vendor/msgpack/decode.mjs", "/vendor/troika-three-text/troika-three-text.esm.js",
                     "/vendor/inter-font/inter-latin-400-normal.woff", "/static/css/vrmon.css"):
        assert expected in served, expected
    assert len(served) > 40  # the client's modules, the npm modules they import, fonts, styles


def _wait_until_up(base_url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise AssertionError(f"vrmon serve exited: {server.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("vrmon serve did not answer within 30 s")
        time.sleep(0.05)
