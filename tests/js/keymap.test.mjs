// The keyboard shortcut table (static/js/desktop/keymap.js): each key, where it is pressed, asks
// for one shortcut; keys in text boxes type text, except the few meant for the search box.
import { test } from "node:test";
import assert from "node:assert/strict";
import { bindKeys, SHORTCUTS, shortcutOf } from "../../static/js/desktop/keymap.js";

/** A stand-in for the element with the focus: the page's body, the search bar, another text box, a button. */
function element({ input = false, search = false, control = false } = {}) {
  return {
    matches: (selector) => (selector.startsWith("input") ? input : selector.startsWith("button") && control),
    closest: (selector) => (selector === "#span-search" && search ? {} : null),
  };
}
const PLACES = {
  page: element(), search: element({ input: true, search: true }), box: element({ input: true }), control: element({ control: true }),
};

function press(key, place = "page", modifiers = {}) {
  return shortcutOf({ key, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, target: PLACES[place], ...modifiers })?.action ?? null;
}

test("no key asks for two shortcuts in the same place", () => {
  const seen = new Map();
  for (const { action, keys } of SHORTCUTS) {
    for (const { key, shift, in: places = ["page"] } of keys) {
      for (const place of places) {
        for (const shifted of shift === undefined ? [false, true] : [shift]) {
          const where = `${key}${shifted ? "+shift" : ""} in ${place}`;
          assert.ok(!seen.has(where), `${where}: ${seen.get(where)} and ${action}`);
          seen.set(where, action);
        }
      }
    }
  }
});

test("keys on the page reach their shortcut; with Ctrl, Alt or Cmd none does", () => {
  assert.equal(press("r"), "resetView");
  assert.equal(press("Home"), "resetView");
  assert.equal(press("7"), "depth");
  assert.equal(press("n"), "nextMatch");
  assert.equal(press("N", "page", { shiftKey: true }), "previousMatch");
  assert.equal(press("PageDown"), "olderPage");
  assert.equal(press("?"), "keyHelp");
  assert.equal(press("r", "page", { ctrlKey: true }), null); // the browser's reload
  assert.equal(press("q"), null);
});

test("in a text box letters are text; the search box steps with Enter and arrows; Esc works everywhere", () => {
  for (const place of ["search", "box"]) {
    assert.equal(press("n", place), null);
    assert.equal(press("/", place), null);
    assert.equal(press("Escape", place), "escape");
  }
  assert.equal(press("Enter", "search"), "nextMatch");
  assert.equal(press("Enter", "search", { shiftKey: true }), "previousMatch");
  assert.equal(press("ArrowUp", "search"), "previousMatch");
  assert.equal(press("Enter", "box"), null);
  assert.equal(press("ArrowDown"), null); // on the page the arrows move the viewer (A-Frame's wasd-controls)
});

test("a focused button keeps Space and Enter; the other keys work as on the page", () => {
  assert.equal(press(" ", "control"), null);
  assert.equal(press(" "), "playPause");
  assert.equal(press("r", "control"), "resetView");
  assert.equal(press("?", "control"), "keyHelp");
  assert.equal(press("Escape", "control"), "escape");
});

test("every shortcut says what it does, and binding an action not in the table fails at once", () => {
  for (const shortcut of SHORTCUTS) assert.ok(shortcut.label && shortcut.help, JSON.stringify(shortcut));
  assert.throws(() => bindKeys({ teleport: () => {} }), /no shortcut for "teleport"/);
});
