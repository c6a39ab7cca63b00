"""Page helpers shared by the browser tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

IWER = Path(__file__).resolve().parents[2] / "node_modules" / "iwer" / "build" / "iwer.min.js"


def click_node(page: Any, node_id: int) -> None:
    """A real mouse click on the centre of a node, as drawn on screen."""
    point = page.evaluate("(id) => window.vrmon.screenPositionOf(id)", node_id)
    assert point is not None, f"node {node_id} is not on screen"
    page.mouse.click(point["x"], point["y"])


def install_emulated_headset(page: Any) -> None:
    """IWER emulates a Quest 3 in the page; skips the test when iwer is not installed."""
    if not IWER.exists():
        pytest.skip("iwer is not installed (npm ci)")
    # IWER has to be in place before A-Frame's script looks for navigator.xr.
    # window.xrdevice lets a test move the controllers and press their buttons.
    page.add_init_script(IWER.read_text() + "\nwindow.xrdevice = new IWER.XRDevice(IWER.metaQuest3);"
                         "\nwindow.xrdevice.installRuntime({forceInstall: true});")


def enter_vr(page: Any) -> None:
    page.evaluate("document.querySelector('a-scene').enterVR()")
    page.wait_for_function("document.querySelector('a-scene').renderer.xr.isPresenting", timeout=10_000)
