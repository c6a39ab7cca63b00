"""The top bar keeps one line at 1280×720 and 1024×700, in the busiest scene (the waterfall adds
its level-of-detail controls) and with two more buttons added the way other features add them
(in #topbar-actions): what has no room moves into the ⋯ menu, and every control stays reachable
with the keyboard."""

from __future__ import annotations

import pytest

from tests.browser.helpers import lane_names_point, next_frames

pytestmark = pytest.mark.browser

HOTROD = "fixtures/otlp-hotrod-dispatch-40spans-serial.json"

# The bar's shown children and the buttons/fields in them: boxes in CSS pixels.
BAR_JS = """() => {
  const bar = document.querySelector('#topbar');
  const box = (e) => { const r = e.getBoundingClientRect(); return {name: e.id || e.className || e.tagName, left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  const shown = (e) => e.getClientRects().length > 0;
  return {
    width: window.innerWidth, scrollWidth: bar.scrollWidth, clientWidth: bar.clientWidth, bar: box(bar),
    children: [...bar.children].filter(shown).map(box),
    controls: [...bar.querySelectorAll('button, select, input')].filter((e) => shown(e) && !bar.querySelector('#view-menu-panel').contains(e)).map(box),
    overflowed: document.querySelector('a-scene').components['top-bar-menu'].overflowed(),
  };
}"""

ADD_TWO_BUTTONS_JS = """() => {
  const actions = document.querySelector('#topbar-actions');
  for (const name of ['Findings', 'Timeline']) {
    const button = document.createElement('button');
    button.type = 'button'; button.id = 'extra-' + name.toLowerCase(); button.textContent = name;
    button.addEventListener('click', () => { window.extraClicks = (window.extraClicks || 0) + 1; });
    actions.append(button);
  }
}"""

# Every control a person can use in the bar or its menu (shown or not): the ones to reach.
CONTROLS_JS = """() => [...document.querySelectorAll('#topbar button, #topbar select, #topbar input')]
  .filter((e) => !e.disabled && !e.closest('[hidden]:not(#view-menu-panel):not(#view-menu-panel *)') && e.id !== 'view-menu-button')
  .map((e) => e.id || e.getAttribute('aria-label') || e.name || e.textContent.trim())"""

ACTIVE_JS = "() => { const e = document.activeElement; return e.id || e.getAttribute('aria-label') || e.name || e.textContent.trim(); }"


def assert_one_line(figures: dict) -> None:
    assert figures["scrollWidth"] <= figures["clientWidth"], figures
    bar = figures["bar"]
    for child in figures["children"]:
        assert 0 <= child["left"] and child["right"] <= figures["width"], child
        assert bar["top"] <= child["top"] and child["bottom"] <= bar["bottom"], child  # not a second line
    for control in figures["controls"]:
        assert control["bottom"] - control["top"] <= 36, control  # its text on one line


@pytest.mark.parametrize("size", [(1280, 720), (1024, 700)], ids=["1280x720", "1024x700"])
def test_the_top_bar_keeps_one_line_and_moves_what_has_no_room_into_its_menu(vrmon_server, open_app, page, size):
    width, height = size
    page.set_viewport_size({"width": width, "height": height})
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    page.wait_for_function("!document.querySelector('#detail-controls').hidden && !document.querySelector('#scene-switcher').hidden")
    figures = page.evaluate(BAR_JS)
    print(f"\n{width}: in the menu {figures['overflowed']}")
    assert_one_line(figures)
    assert "view-menu" in [child["name"] for child in figures["children"]]

    page.evaluate(ADD_TWO_BUTTONS_JS)
    page.wait_for_function("() => document.querySelector('#topbar').scrollWidth <= document.querySelector('#topbar').clientWidth")
    more = page.evaluate(BAR_JS)
    print(f"{width} with two more buttons: in the menu {more['overflowed']}")
    assert_one_line(more)
    assert len(more["overflowed"]) >= len(figures["overflowed"])
    assert not page.errors


def test_every_control_of_the_bar_and_its_menu_is_reached_and_used_with_the_keyboard(vrmon_server, open_app, page):
    page.set_viewport_size({"width": 1024, "height": 700})
    open_app(vrmon_server([HOTROD], scene="waterfall"))
    page.wait_for_function("!document.querySelector('#detail-controls').hidden && !document.querySelector('#host-toggle').disabled")
    page.evaluate(ADD_TWO_BUTTONS_JS)
    page.wait_for_function("() => document.querySelector('#topbar').scrollWidth <= document.querySelector('#topbar').clientWidth")
    assert page.evaluate("() => document.querySelector('a-scene').components['top-bar-menu'].overflowed().length") > 0

    # A search is on: Escape in the open menu closes the menu and leaves the search alone.
    page.fill("#span-search input[name=text]", "redis")
    page.wait_for_function("document.querySelector('#span-search').classList.contains('active')")
    page.evaluate("document.activeElement.blur()")

    # Tab from the start of the page, opening the menu with Enter when "⋯" has the focus.
    wanted = set(page.evaluate(CONTROLS_JS))
    reached: set[str] = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE_JS)
        if active == "view-menu-button" and page.get_attribute("#view-menu-button", "aria-expanded") == "false":
            page.keyboard.press("Enter")
            assert page.is_visible("#view-menu-panel")
        reached.add(active)
        if wanted <= reached:
            break
    assert wanted <= reached, sorted(wanted - reached)

    page.keyboard.press("Escape")
    assert page.is_hidden("#view-menu-panel")
    assert page.evaluate(ACTIVE_JS) == "view-menu-button"
    assert page.evaluate("document.querySelector('#span-search').classList.contains('active')")

    # Reset view and a new button work from inside the menu, from the keyboard.
    camera = "document.querySelector('#camera').object3D.position.toArray()"
    page.evaluate("document.activeElement.blur()")  # the scene's keys work when no control has the focus
    page.keyboard.press("r")  # the framing now (the host gauge, come since the first, changes the room left)
    next_frames(page)
    framed = page.evaluate(camera)
    page.mouse.move(*lane_names_point(page))  # over the bars the wheel zooms time instead
    page.mouse.wheel(0, -600)
    next_frames(page)
    assert page.evaluate(camera) != framed
    for control in ("#reset-view", "#extra-timeline"):
        if page.is_hidden("#view-menu-panel"):
            page.focus("#view-menu-button")
            page.keyboard.press("Enter")
        page.focus(control)
        page.keyboard.press("Enter")
        assert page.is_hidden("#view-menu-panel") or not page.evaluate(f"document.querySelector('#view-menu-panel').contains(document.querySelector('{control}'))")
    next_frames(page)
    assert page.evaluate(camera) == pytest.approx(framed, abs=1e-6)
    assert page.evaluate("window.extraClicks") == 1
    assert not page.errors
