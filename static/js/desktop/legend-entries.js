// The service legend's entries and their list (the bottom bar's #legend): the services with a node
// in the view, by name, with their colours. Plain DOM work without A-Frame, shared by the
// service-legend component and the first picture (scene/first-picture.js), which fills the legend
// before A-Frame has loaded so the bottom bar is as tall as it will be when the camera frames the view.
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
    h("li", {}, h("span", { class: "swatch", style: { background: color } }), name)));
  panel.querySelector(".count").textContent = String(entries.length);
  panel.hidden = entries.length === 0;
}
