"""/vendor/<name>/…: only the npm files the client loads (client_files.VENDOR), nothing else of
the packages they come from (no sources, maps, typings, package.json or READMEs)."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import Scope

from vrmon.client_files import VENDOR
from vrmon.static_cache import CachedStaticFiles


class AllowListedFiles(CachedStaticFiles):
    """Static files (gzipped, content ETags: static_cache) that answers 404 for every path not in `allowed` (paths relative to `directory`)."""

    def __init__(self, directory: Path, allowed: frozenset[str]) -> None:
        super().__init__(directory=directory)
        self.allowed = allowed

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path not in self.allowed:  # `path` is already URL-decoded once, and normalised by Starlette
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)


def _allowed(root: Path, patterns: tuple[str, ...]) -> frozenset[str]:
    return frozenset(p.relative_to(root).as_posix() for pattern in patterns for p in root.glob(pattern) if p.is_file())


def vendor_apps(node_modules: Path) -> dict[str, AllowListedFiles]:
    """URL name → the app serving that package's allow-listed files."""
    return {name: AllowListedFiles(node_modules / directory, _allowed(node_modules / directory, patterns))
            for name, (directory, patterns) in VENDOR.items()}


def vendor_files(node_modules: Path) -> dict[str, Path]:
    """URL path (/vendor/<name>/…) → file, for every file the vendor apps serve."""
    return {f"/vendor/{name}/{relative}": node_modules / directory / relative
            for name, (directory, patterns) in VENDOR.items() for relative in _allowed(node_modules / directory, patterns)}
