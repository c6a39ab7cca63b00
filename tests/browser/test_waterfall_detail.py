"""The waterfall's level of detail in the browser: a click on a summary mark opens it, the panel
says what a summary holds, and the depth / overview / expand-all keys draw what they promise —
all without moving the camera."""

from __future__ import annotations

import pytest

from tests.browser.helpers import click_node
from tests.generated_traces import named_store
from vrmon.layout.waterfall_lod import SUMMARY_BASE

pytestmark = pytest.mark.browser

SUMMARIES_JS = f"""() => window.vrmon.nodeIds().filter((id) => id >= {SUMMARY_BASE})"""
CAMERA_JS = "() => document.querySelector('#camera').object3D.position.toArray()"


def test_a_click_opens_a_summary_and_keys_fold_to_a_depth_or_expand_all(vrmon_server, open_app, page):
    store = named_store(3000, spans_per_trace=3000, n_services=12)
    base = vrmon_server([], store=store, host_metrics=False)
    open_app(base)
    camera = page.evaluate(CAMERA_JS)
    shown = page.evaluate("window.vrmon.stats().instances")
    assert shown < 3000
    detail = page.evaluate("window.vrmon.system.scene.detail")
    assert detail["folded"] + shown - len(page.evaluate(SUMMARIES_JS)) == 3000

    # the widest summary, clicked where it is drawn: its calls are drawn instead
    widest = page.evaluate(f"""() => {{
      const {{ nodes }} = window.vrmon.system; let best = null, width = -1;
      for (let row = 0; row < nodes.count; row++) if (nodes.ids[row] >= {SUMMARY_BASE} && nodes.size[row * 3] > width) {{ width = nodes.size[row * 3]; best = nodes.ids[row]; }}
      return best; }}""")
    click_node(page, widest)
    page.wait_for_function("window.vrmon.system.scene.detail.opened === 1", timeout=20_000)
    page.wait_for_function(f"!window.vrmon.system.nodes.rowOf.has({widest})")
    assert widest - SUMMARY_BASE in page.evaluate("window.vrmon.nodeIds()")  # the span that held it is still there
    assert page.evaluate(CAMERA_JS) == camera

    page.keyboard.press("2")
    page.wait_for_function("window.vrmon.system.scene.detail.depth === 2", timeout=20_000)
    depths = page.evaluate("window.vrmon.nodeIds().length")
    assert depths == int((store.depth <= 2).sum()) + len(page.evaluate(SUMMARIES_JS))
    page.keyboard.press("e")
    page.wait_for_function("window.vrmon.stats().instances === 3000", timeout=20_000)
    assert page.evaluate(SUMMARIES_JS) == []
    page.keyboard.press("0")
    page.wait_for_function(f"window.vrmon.stats().instances === {shown}", timeout=20_000)
    assert page.evaluate(CAMERA_JS) == camera
    assert not page.errors


def test_a_selected_summary_shows_what_it_holds(vrmon_server, open_app, page):
    base = vrmon_server([], store=named_store(3000, spans_per_trace=3000, n_services=12), host_metrics=False)
    open_app(base)
    summary = page.evaluate(SUMMARIES_JS)[0]
    page.evaluate(f"window.vrmon.select({summary})")
    page.wait_for_function("document.querySelector('#span-panel .panel-title').textContent.includes('folded calls')")
    text = page.inner_text("#span-panel").lower()
    assert "services" in text and "operations" in text and "time extent" in text
    page.click("#span-panel .expand")
    page.wait_for_function("window.vrmon.system.scene.detail.opened === 1", timeout=20_000)
    assert not page.errors


def test_a_search_lights_the_summaries_holding_matches_and_counts_what_they_hold(vrmon_server, open_app, page):
    store = named_store(3000, spans_per_trace=3000, n_services=12)
    base = vrmon_server([], store=store, host_metrics=False)
    open_app(base)
    # the main service of a summary mark: some of its spans are folded
    row = page.evaluate(f"window.vrmon.system.nodes.rowOf.get(({SUMMARIES_JS})()[0])")
    name = page.evaluate(f"window.vrmon.system.services[window.vrmon.system.nodes.service[{row}]]")
    page.fill("#span-search input[name=text]", name)
    expected = sum(name in (store.services.names[s] + " " + store.operations.names[o]).lower()
                   for s, o in zip(store.service.tolist(), store.operation.tolist()))
    page.wait_for_function(f"window.vrmon.system.nodeFilter.count === {expected}", timeout=20_000)
    lit = page.evaluate(f"""() => {{ const s = window.vrmon.system;
      return window.vrmon.nodeIds().filter((id) => id >= {SUMMARY_BASE} && s.rowMatches(s.nodes.rowOf.get(id))).map((id) => [id, s.nodeFilter.summaryMatches.get(id)]); }}""")
    assert lit and all(count > 0 for _, count in lit)
    assert f"{expected} matches" in page.inner_text("#span-search .matches")
    # a lit summary's tooltip and panel say how many matches it holds
    summary, held = lit[0]
    page.evaluate(f"window.vrmon.select({summary})")
    page.wait_for_function("document.querySelector('#span-panel .panel-title').textContent.includes('folded calls')")
    assert f"search matches\t{held}" in page.inner_text("#span-panel").lower()
    assert not page.errors
