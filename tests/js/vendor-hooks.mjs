// Node module hooks for the client tests. "/vendor/<name>/<file>" (what the browser fetches from
// vrmon's server) resolves to the same file in node_modules/, so the modules under test are
// imported exactly as the browser imports them. The URL names → node_modules directories come
// from vrmon/client_files.py through VRMON_VENDOR_DIRS (set by tests/test_client_js.py).
import { pathToFileURL } from "node:url";
import path from "node:path";

const vendorDirs = JSON.parse(process.env.VRMON_VENDOR_DIRS ?? "{}");
const nodeModules = process.env.VRMON_NODE_MODULES ?? "";

export async function resolve(specifier, context, nextResolve) {
  const match = /^\/vendor\/([^/]+)\/(.+)$/.exec(specifier);
  if (match && vendorDirs[match[1]]) {
    return { url: pathToFileURL(path.join(nodeModules, vendorDirs[match[1]], match[2])).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

// The client's own .js files are ES modules, as the browser loads them (<script type="module">);
// saying so spares Node a guess and its warning.
export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && url.includes("/static/js/") && url.endsWith(".js")) {
    return nextLoad(url, { ...context, format: "module" });
  }
  return nextLoad(url, context);
}
