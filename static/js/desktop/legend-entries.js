// The service legend's entries and their list (the bottom bar's #legend): the services with a node
// in the view, by name, with their colours. Plain DOM work without A-Frame, shared by the
// service-legend component and the first picture (scene/first-picture.js), which fills the legend
// before A-Frame has loaded so the bottom bar is as tall as it will be when the camera frames the view.
// The list shows two rows (CSS), and a "+N more" button unfolds the rest: a third row beside an
// open trace list raised the bottom bar ~20 px, and the waterfall, framed by its height, kept
// 28-29 % of a 1280×720 canvas.
import { h } from "../data/format.js";

/** [name, colour] of each service with a node in the view, by name; none in the services scene (it colours by error rate). */
export function legendEntries({ services, serviceColors, layout, nodes: { service, count } }) {
  if (layout === "services") return [];
  const seen = new Uint8Array(services.length);
  for (let row = 0; row < count; row++) if (service[row] < seen.length) seen[service[row]] = 1;
  const entries = [];
  seen.forEach((shown, index) => { if (shown && serviceColors[index]) entries.push([services[index], serviceColors[index]]); });
  return entries.sort((a, b) => a[0].localeCompare(b[0]));
}

/** List `entries` in the legend `panel` (hidden when there are none). */
export function showLegend(panel, entries) {
  panel.querySelector("ul").replaceChildren(...entries.map(([name, color]) =>
    h("li", { title: name }, h("span", { class: "swatch", style: { background: color } }), h("span", { class: "name" }, name))));
  panel.querySelector(".count").textContent = String(entries.length);
  panel.hidden = entries.length === 0;
  fitLegend(panel);
}

/** Show the legend `panel`'s "+N more" button if its list has names past two rows (N of them), as
 * "fewer" while it is unfolded; hide it when all fit. Measured with the button shown: it takes
 * room from the list, so the count holds whether it shows or not. */
export function fitLegend(panel) {
  const more = panel.querySelector(".more");
  more.hidden = false;
  const tops = [...panel.querySelector("ul").children].map((item) => item.offsetTop);
  const rows = [...new Set(tops)].sort((a, b) => a - b);
  const past = rows.length > 2 ? tops.filter((top) => top >= rows[2]).length : 0;
  const unfolded = panel.classList.contains("unfolded");
  more.hidden = past === 0;
  more.textContent = unfolded ? "fewer" : `+${past} more`;
  more.setAttribute("aria-expanded", String(unfolded));
}
