"""index.html as the server sends it: every file at a content-versioned URL, and a modulepreload
link for every module the first frame imports.

A versioned URL (`?v=` and the file's content hash) is answered `Cache-Control: immutable`
(static_cache.py), so a revisit takes those files from the browser's cache without asking, and a
changed file gets a new URL. Modules import each other by plain paths ("./data/format.js",
"/vendor/msgpack/decode.mjs"); the page's import map sends each module's plain URL to its
versioned one. The page itself is `no-cache`: it names the current versions. Its
Content-Security-Policy hashes this rendered import map (`script_hashes`, used by security.py),
not the one in the file on disk.

The page starts the client's bundle while it is current (client_bundle.py: built by `make
install`, a few files), else main.js and its ~75 modules. The modulepreload links are computed
from the started module's static imports and those of the modules it imports dynamically
itself (the app, started after the first picture), so the list cannot fall behind the code; links
written in index.html are replaced. The page is rendered when the server
starts, and again when a file it names changed on disk (a checkout being edited): an old page
would keep pointing the browser at the old versions.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from vrmon.client_bundle import bundle_entry
from vrmon.security import inline_script_hashes
from vrmon.static_cache import Entry, content_hash
from vrmon.vendor_files import vendor_files

ENTRY_MODULE = "/static/js/main.js"
MODULE_SUFFIXES = (".js", ".mjs")
# `import … from "x"`, `import "x"`, `export … from "x"` at the start of a line or after a `;` (the
# bundle is minified: its imports are one line); dynamic import() excluded
STATIC_IMPORT = re.compile(r"""(?:^|;)\s*(?:import(?!\s*\()|export)\b[^;"'()]*?["']([^"']+)["']""", re.M)
PRELOAD_LINK = re.compile(r"""^[ \t]*<link rel="modulepreload"[^>]*>[ \t]*\n""", re.M)
# `import("x")` with a literal in the entry's own code: preloaded too, after it (main.js starts
# three.js, A-Frame and the app with them after the first picture: fetched and compiled meanwhile)
DYNAMIC_IMPORT = re.compile(r"""\bimport\(\s*["']([^"']+)["']\s*\)""")
ENTRY_SCRIPT = re.compile(r"""^([ \t]*)<script type="module" src="%s"></script>\n""" % re.escape(ENTRY_MODULE), re.M)
IMPORT_MAP = re.compile(r"""(<script type="importmap">)(.*?)(</script>)""", re.S)
LOCAL_URL = re.compile(r"""\b(src|href)="(/(?:static|vendor)/[^"?#]+)\"""")
CLASSIC_SCRIPT = re.compile(r"""<script src="([^"]+)"[^>]*>""")
# a classic script index.html marks `data-inline`, written into the page (the early socket: made as
# the page is parsed, not after one more request); the page's CSP hashes it as it hashes the import map
INLINED_SCRIPT = re.compile(r"""<script src="(/static/[^"?#]+)" data-inline></script>""")


@dataclass(frozen=True)
class Rendered:
    html: Entry
    script_hashes: tuple[str, ...]
    stamps: dict[Path, tuple[int, int]]  # (size, mtime_ns) of every file it was rendered from


class ClientPage:
    """index.html, rendered from `static_dir` and the vendor files in `node_modules`."""

    def __init__(self, static_dir: Path, node_modules: Path) -> None:
        self.static_dir = static_dir
        self.node_modules = node_modules
        self._lock = threading.Lock()
        self._rendered = self._render()

    def script_hashes(self) -> tuple[str, ...]:
        """CSP sources for the inline scripts of the page as it is served now."""
        return self._current().script_hashes

    def response(self, request: Request) -> Response:
        return self._current().html.response(request.scope, "text/html; charset=utf-8")

    def _current(self) -> Rendered:
        rendered = self._rendered
        if any(_stamp(path) != stamp for path, stamp in rendered.stamps.items()):
            with self._lock:
                if self._rendered is rendered:
                    self._rendered = self._render()
        return self._rendered

    def _render(self) -> Rendered:
        files = {f"/static/{p.relative_to(self.static_dir).as_posix()}": p
                 for p in self.static_dir.rglob("*") if p.is_file()}
        files.update(vendor_files(self.node_modules))
        stamps = {path: _stamp(path) for path in files.values()}
        source = files.pop("/static/index.html").read_text()
        # read once, and only what the page names (its src and href, every module for the import map):
        # source maps and the rest are served, never named here; the server starts with this render
        named = {url for _, url in LOCAL_URL.findall(source)}
        bodies = {url: path.read_bytes() for url, path in files.items() if url.endswith(MODULE_SUFFIXES) or url in named}
        versions = {url: content_hash(body) for url, body in bodies.items()}
        modules = {url: body.decode() for url, body in bodies.items() if url.endswith(MODULE_SUFFIXES)}
        hashes = {files[url]: digest for url, digest in versions.items()}  # the bundle's inputs are among them
        html = render_index(source, versions, modules, bundle_entry(self.static_dir, self.node_modules, hashes) or ENTRY_MODULE)
        stamps[self.static_dir / "index.html"] = _stamp(self.static_dir / "index.html")
        return Rendered(Entry.of(html.encode(), compress=True), inline_script_hashes(html), stamps)


def render_index(source: str, versions: dict[str, str], modules: dict[str, str], entry: str = ENTRY_MODULE) -> str:
    """index.html with versioned URLs and generated modulepreload links, starting the module `entry`
    (main.js or the bundle's). `versions`: URL → content hash of every file that can be served;
    `modules`: URL → source of every JavaScript module (an inlined script's too)."""
    def versioned(url: str) -> str:
        return f"{url}?v={versions[url]}" if url in versions else url

    match = IMPORT_MAP.search(source)
    bare = json.loads(match.group(2))["imports"] if match else {}
    first = static_imports(entry, modules, bare)
    started = {resolve(url, spec, bare) for url in first for spec in DYNAMIC_IMPORT.findall(modules.get(url, ""))}
    later = set().union(*(static_imports(url, modules, bare) for url in started)) - first
    html = PRELOAD_LINK.sub("", source)
    html = INLINED_SCRIPT.sub(lambda m: f"<script>\n{modules[m.group(1)]}</script>", html)
    script = ENTRY_SCRIPT.search(html)
    if script is None:
        raise ValueError(f"index.html does not load {ENTRY_MODULE} as a module script")
    # the app's after the entry's own: on HTTP/1.1's six connections the first picture's code comes first
    links = "".join(f'{script.group(1)}<link rel="modulepreload" href="{url}">\n' for url in sorted(first - {entry}))
    links += "".join(f'{script.group(1)}<link rel="modulepreload" href="{url}" fetchpriority="low">\n' for url in sorted(later))
    started = f'{script.group(1)}<script type="module" src="{entry}"></script>\n'
    html = html[:script.start()] + started + links + html[script.end():]
    html = LOCAL_URL.sub(lambda m: f'{m.group(1)}="{versioned(m.group(2))}"', html)
    if match:
        imports = {name: versioned(url) for name, url in bare.items()}
        classic = set(CLASSIC_SCRIPT.findall(source))  # the early socket is no module
        imports.update({url: versioned(url) for url in sorted(modules) if url in versions and url not in classic})
        html = IMPORT_MAP.sub(lambda m: m.group(1) + "\n" + json.dumps({"imports": imports}, indent=2) + "\n  " + m.group(3), html, count=1)
    return html


def static_imports(entry: str, modules: dict[str, str], bare: dict[str, str]) -> set[str]:
    """URLs of every module `entry` imports statically, transitively."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        url = todo.pop()
        if url in seen or url not in modules:
            continue
        seen.add(url)
        for spec in STATIC_IMPORT.findall(modules[url]):
            todo.append(resolve(url, spec, bare))
    return seen


def resolve(base: str, spec: str, bare: dict[str, str]) -> str:
    """The URL path a module at `base` means by `spec` (relative, absolute, or a bare name of the import map)."""
    if spec.startswith("/"):
        return spec
    if not spec.startswith("."):
        return bare.get(spec, spec)
    parts: list[str] = []
    for part in (base.rsplit("/", 1)[0] + "/" + spec).split("/"):
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except OSError:
        return (-1, -1)
    return (stat.st_size, stat.st_mtime_ns)
