"""The client's bundle (scripts/build-client.mjs, esbuild): the page starts it while every file it
was built from is unchanged, and the plain modules as soon as one changed (a checkout being
edited is never served stale code). In a browser: tests/browser/test_page_boot.py."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from pathlib import Path

from vrmon.client_page import ClientPage

ROOT = Path(__file__).resolve().parents[1]


def started(client_page: ClientPage) -> tuple[str, list[str]]:
    html = client_page._current().html.body.decode()
    entry = re.search(r'<script type="module" src="([^"?]+)', html).group(1)
    return entry, re.findall(r'<link rel="modulepreload" href="([^"?]+)', html)


def test_the_page_starts_the_bundle_while_its_inputs_are_unchanged_and_the_modules_once_one_changed(tmp_path, caplog):
    static = tmp_path / "static"
    shutil.copytree(ROOT / "static", static, ignore=shutil.ignore_patterns("bundle"))
    subprocess.run(["node", "scripts/build-client.mjs", str(static / "bundle")], cwd=ROOT, check=True, capture_output=True, timeout=120)
    client_page = ClientPage(static, ROOT / "node_modules")

    entry, preloads = started(client_page)
    assert entry == "/static/bundle/main.js"
    started_later = {"/static/bundle/app.js", "/vendor/three/three.core.min.js", "/vendor/three/three.module.min.js",
                     "/vendor/aframe/aframe-master.module.min.js"}
    assert started_later <= set(preloads), "three.js, A-Frame and the app main.js starts after the first picture: preloaded meanwhile"
    assert preloads and all(url.startswith("/static/bundle/chunk-") for url in set(preloads) - started_later), preloads
    assert all((static / url.removeprefix("/static/")).is_file() for url in preloads if url.startswith("/static/"))

    edited = static / "js/data/format.js"
    original = edited.read_text()
    edited.write_text(original + "// edited\n")
    with caplog.at_level(logging.WARNING, logger="vrmon.client_bundle"):
        entry, preloads = started(client_page)
    assert entry == "/static/js/main.js"
    assert "/static/js/data/format.js" in preloads and len(preloads) > 40
    assert "older than" in caplog.text and "format.js" in caplog.text

    edited.write_text(original)  # as it was built: the bundle is current again
    assert started(client_page)[0] == "/static/bundle/main.js"

