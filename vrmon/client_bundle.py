"""Which script the page starts: the client's bundle while it is current, else the plain modules.

`make install` bundles static/js/main.js and everything it imports into static/bundle/
(scripts/build-client.mjs, esbuild): the first frame's code in a few files instead of ~75 module
requests. Its manifest.json names each input file (relative to the checkout: static/… or
node_modules/…) with its content hash. A bundle any of whose inputs changed since (a checkout
being edited) is not served: the page loads the plain modules, which are always current, and the
server says once why it is slower.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

from vrmon.static_cache import content_hash

log = logging.getLogger(__name__)

BUNDLE_DIR = "bundle"  # under static/
MANIFEST = "manifest.json"


def bundle_inputs(static_dir: Path, node_modules: Path) -> dict[Path, str] | None:
    """Input file → the content hash the bundle was built from (None: no bundle was built)."""
    manifest = static_dir / BUNDLE_DIR / MANIFEST
    roots = {"static": static_dir, "node_modules": node_modules}
    try:
        inputs = json.loads(manifest.read_text())["inputs"]
        return {roots[relative.split("/", 1)[0]] / relative.split("/", 1)[1]: digest for relative, digest in inputs.items()}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, IndexError, AttributeError) as error:
        log.warning("%s is unreadable (%s): serving the modules one by one", manifest, error)
        return None


def bundle_entry(static_dir: Path, node_modules: Path, known: Mapping[Path, str] | None = None) -> str | None:
    """The URL of the bundle's entry module if the bundle is current, else None. `known`: content
    hashes computed already (the page's render hashes every module it serves: the inputs are among them)."""
    inputs = bundle_inputs(static_dir, node_modules)
    if inputs is None:
        return None
    known = known or {}
    changed = [path for path, digest in inputs.items() if (known.get(path) or _hash(path)) != digest]
    if changed:
        log.warning("the client bundle in %s is older than %s (and %d more changed files): serving the modules one by one "
                    "until `make install` bundles them again", static_dir / BUNDLE_DIR, changed[0], len(changed) - 1)
        return None
    return f"/static/{BUNDLE_DIR}/main.js"


def _hash(path: Path) -> str | None:
    try:
        return content_hash(path.read_bytes())
    except OSError:
        return None
