"""The npm files the browser client loads, served under /vendor/<name>/.

The server mounts each directory; the wheel build (setup.py) copies exactly the listed files from
node_modules/ into the package, checked against package-lock.json. It runs before vrmon's
dependencies are installed, so this module imports nothing.
"""

# URL name under /vendor/ → (directory inside node_modules/, glob patterns of the files the client loads)
VENDOR: dict[str, tuple[str, tuple[str, ...]]] = {
    # A-Frame's ES module build and the three.js it imports (A-Frame's own fork, super-three, as
    # npm installs it under node_modules/three): evaluated a file a task (static/js/load-aframe.js)
    "aframe": ("aframe/dist", ("aframe-master.module.min.js",)),
    "three": ("three/build", ("three.module.min.js", "three.core.min.js")),
    "msgpack": ("@msgpack/msgpack/dist.esm", ("**/*.mjs",)),
    # troika-three-text (SDF text for the headset) and the ES modules it imports; the import
    # map in index.html points their bare names here, and "three" at the one three.js above.
    "troika-three-text": ("troika-three-text/dist", ("troika-three-text.esm.js",)),
    "troika-three-utils": ("troika-three-utils/dist", ("troika-three-utils.esm.js",)),
    "troika-worker-utils": ("troika-worker-utils/dist", ("troika-worker-utils.esm.js",)),
    "webgl-sdf-generator": ("webgl-sdf-generator/dist", ("webgl-sdf-generator.mjs",)),
    "bidi-js": ("bidi-js/dist", ("bidi.mjs",)),
    # troika's own default font would come from a CDN
    "inter-font": ("@fontsource/inter/files", ("inter-latin-400-normal.woff", "inter-latin-600-normal.woff")),
}

VENDOR_DIRS = {name: directory for name, (directory, _) in VENDOR.items()}


def npm_package(directory: str) -> str:
    """The npm package a node_modules/ directory belongs to: '@fontsource/inter/files' → '@fontsource/inter'."""
    parts = directory.split("/")
    return "/".join(parts[:2] if parts[0].startswith("@") else parts[:1])
