"""The wheel's build step: the browser client goes into the package.

setuptools runs this inside any standard build front-end (`pip wheel .`, `python -m build
--wheel`). It copies static/, scenes/ and the npm files the client loads (vrmon/client_files.py)
into vrmon/_client/ of the build, so an installed vrmon needs neither the checkout nor npm. The
npm files come from node_modules/ and must be the versions package-lock.json names: run
`npm ci` first. Nothing here writes into the checkout.
"""

from __future__ import annotations

import json
import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import SetupError

ROOT = Path(__file__).resolve().parent


def copy_client(target: Path) -> None:
    """static/, scenes/*.toml and the locked npm files into `target` (laid out as in the checkout)."""
    vendor = runpy.run_path(str(ROOT / "vrmon" / "client_files.py"))
    shutil.rmtree(target, ignore_errors=True)  # a reused build/ directory keeps no file the client dropped
    shutil.copytree(ROOT / "static", target / "static", dirs_exist_ok=True)
    (target / "scenes").mkdir(parents=True, exist_ok=True)
    for preset in (ROOT / "scenes").glob("*.toml"):
        shutil.copy2(preset, target / "scenes" / preset.name)
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for directory, patterns in vendor["VENDOR"].values():
        package = vendor["npm_package"](directory)
        want = locked[f"node_modules/{package}"]["version"]
        manifest = ROOT / "node_modules" / package / "package.json"
        have = json.loads(manifest.read_text())["version"] if manifest.exists() else None
        if have != want:
            raise SetupError(f"node_modules/{package} is {have or 'missing'}, package-lock.json wants {want}: "
                             "run `npm ci` before building the wheel")
        source = ROOT / "node_modules" / directory
        for pattern in patterns:
            files = sorted(path for path in source.glob(pattern) if path.is_file())
            if not files:
                raise SetupError(f"node_modules/{directory} has no {pattern}: run `npm ci` before building the wheel")
            for path in files:
                destination = target / "node_modules" / directory / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, destination)


class BuildPyWithClient(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:  # an editable install serves the checkout itself
            copy_client(Path(self.build_lib) / "vrmon" / "_client")


setup(cmdclass={"build_py": BuildPyWithClient})
