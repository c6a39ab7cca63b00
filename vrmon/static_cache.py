"""Static files for the browser: content-versioned URLs cached for good, strong ETags, gzip for text.

A-Frame alone is 1.3 MB of JavaScript (about 330 KB gzipped): a headset on Wi-Fi feels that on
every visit. Each file is read, hashed and compressed once per version on disk (its size and
mtime), then served from memory. `ETag` is a content hash. A request whose `?v=` names that hash
(the URLs index.html uses, see client_page.py) is answered `Cache-Control: immutable`: the browser
reuses its copy without asking again, and a changed file gets a new URL. Any other request (no
version, or an outdated one) gets `no-cache`: the browser asks before reusing its copy, and an
unchanged file costs a 304 with no body.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Types worth compressing (fonts in woff/woff2 and images already are).
COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".json", ".svg", ".map", ".txt", ".ttf")
MIN_COMPRESS_BYTES = 1024  # below this, gzip's header costs more than it saves
REVALIDATE = "no-cache"  # reuse the cached copy only after the server says it is current (304)
IMMUTABLE = "max-age=31536000, immutable"  # this URL's content never changes: reuse it unasked


def content_hash(body: bytes) -> str:
    """What names a file's content: its ETag, and the `v` of its versioned URL."""
    return hashlib.sha256(body).hexdigest()[:32]


@dataclass(frozen=True)
class Entry:
    version: tuple[int, int]  # size, mtime_ns: a changed file is read again
    hash: str
    body: bytes
    gzipped: bytes | None

    @classmethod
    def of(cls, body: bytes, compress: bool, version: tuple[int, int] = (0, 0)) -> Entry:
        gzipped = gzip.compress(body, compresslevel=6, mtime=0) if compress and len(body) >= MIN_COMPRESS_BYTES else None
        return cls(version, content_hash(body), body, gzipped)

    def response(self, scope: Scope, media_type: str, cache_control: str = REVALIDATE, status_code: int = 200) -> Response:
        """200 (gzipped when the browser accepts it) or 304 when the browser's copy is this one."""
        request = Headers(scope=scope)
        etag = f'"{self.hash}"'
        headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding"}
        if etag in [tag.strip().removeprefix("W/") for tag in request.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        if self.gzipped is not None and "gzip" in request.get("accept-encoding", ""):
            return Response(self.gzipped, status_code, {**headers, "Content-Encoding": "gzip"}, media_type)
        return Response(self.body, status_code, headers, media_type)


def asked_version(scope: Scope) -> str:
    """The `v` query parameter of a request ('' when none)."""
    return parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]


class CachedStaticFiles(StaticFiles):
    """StaticFiles whose responses carry a content ETag, are gzipped for text types, and are
    cached for good under their versioned URL."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._entries: dict[str, Entry] = {}

    def file_response(self, full_path: os.PathLike | str, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        path = os.fspath(full_path)
        entry = self._entry(path, stat_result)
        cache_control = IMMUTABLE if asked_version(scope) == entry.hash else REVALIDATE
        return entry.response(scope, self.media_type(path), cache_control, status_code)

    def _entry(self, path: str, stat_result: os.stat_result) -> Entry:
        version = (stat_result.st_size, stat_result.st_mtime_ns)
        entry = self._entries.get(path)
        if entry is None or entry.version != version:
            with open(path, "rb") as f:
                entry = Entry.of(f.read(), path.endswith(COMPRESSIBLE), version)
            self._entries[path] = entry
        return entry

    @staticmethod
    def media_type(path: str) -> str:
        if path.endswith(".mjs"):  # not in every system's MIME table; module scripts need a JavaScript type
            return "text/javascript"
        return mimetypes.guess_type(path)[0] or "application/octet-stream"
