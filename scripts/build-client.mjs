// Bundles the browser client for the page's first load: static/js/main.js (the first picture)
// and static/js/app.js (everything else, started by main.js once A-Frame has run), with every
// module they import (and the msgpack files they import from /vendor/), into static/bundle/:
// main.js in one file, app.js plus chunks for the headset's code, which xr-on-demand.js still
// loads only on demand. One request and one compile instead of ~75 module requests a Python server answers
// one by one while it also prepares the first snapshot. `make install` runs it (esbuild comes
// from npm: package.json's devDependencies).
//
// static/bundle/manifest.json names each input with its content hash: the server serves the
// bundle only while every input is unchanged (vrmon/client_bundle.py), and the plain modules
// otherwise, so a checkout being edited is never served stale code.
//
//   node scripts/build-client.mjs [OUTDIR]     (default: static/bundle, from the checkout's root)
import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OUTDIR = path.resolve(process.argv[2] ?? path.join(ROOT, "static", "bundle"));
// The page's import map resolves these bare names (index.html): three.js and the headset's SDF text.
const EXTERNAL = ["three", "troika-three-text"];

/** /vendor/<name>/ → its node_modules/ directory, read from vrmon/client_files.py (its VENDOR
 * table is a plain literal, the one place the server's /vendor/ URLs are defined). */
function vendorDirectories() {
  const source = readFileSync(path.join(ROOT, "vrmon", "client_files.py"), "utf8");
  return Object.fromEntries(Array.from(source.matchAll(/^\s*"([\w-]+)": \("([^"]+)",/gm), (m) => [m[1], m[2]]));
}

const vendor = vendorDirectories();
const vendorUrls = {
  name: "vendor-urls",
  setup(build) {
    build.onResolve({ filter: /^\/vendor\// }, (args) => {
      const [, , name, ...rest] = args.path.split("/");
      if (!vendor[name]) return { errors: [{ text: `${args.path}: /vendor/${name}/ is not in vrmon/client_files.py's VENDOR` }] };
      return { path: path.join(ROOT, "node_modules", vendor[name], ...rest) };
    });
  },
};

// main.js starts three.js, A-Frame and the app with import(): the files the page preloads and the
// other build's entry, not bundled into this one
const startedLater = {
  name: "started-later",
  setup(build) {
    build.onResolve({ filter: /^(\.\/app\.js|\/vendor\/(three|aframe)\/.*)$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const common = {
  absWorkingDir: ROOT,
  bundle: true,
  format: "esm",
  minify: true,
  keepNames: true,
  sourcemap: "linked",
  legalComments: "linked",
  external: EXTERNAL,
  metafile: true,
  logLevel: "warning",
};

rmSync(OUTDIR, { recursive: true, force: true }); // no chunk of an earlier build is left to be served
const results = [
  // The first picture's code, in one file (what it shares with the app is in both: one request
  // on the page's six connections, before A-Frame and the app, which it then starts).
  await esbuild.build({ ...common, entryPoints: ["static/js/main.js"], outdir: OUTDIR, plugins: [startedLater, vendorUrls] }),
  // The app: its entry, the chunks it shares with the headset's modules, which (dynamic imports)
  // become chunks loaded on demand.
  await esbuild.build({ ...common, entryPoints: ["static/js/app.js"], outdir: OUTDIR, splitting: true, chunkNames: "[name]-[hash]", plugins: [vendorUrls] }),
];
const result = { metafile: {
  inputs: Object.assign({}, ...results.map((r) => r.metafile.inputs)),
  outputs: Object.assign({}, ...results.map((r) => r.metafile.outputs)),
} };

const hash = (file) => createHash("sha256").update(readFileSync(path.join(ROOT, file))).digest("hex").slice(0, 32);
const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).sort().map((file) => [file, hash(file)]));
const manifest = { entry: "main.js", inputs };
writeFileSync(path.join(OUTDIR, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
console.log(`static/js → ${path.relative(ROOT, OUTDIR) || OUTDIR}: ${Object.keys(inputs).length} modules, `
  + `${Object.keys(result.metafile.outputs).filter((file) => file.endsWith(".js")).length} files`);
