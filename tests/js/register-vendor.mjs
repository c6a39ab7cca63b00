// `node --import ./tests/js/register-vendor.mjs --test …`: installs vendor-hooks.mjs.
import { register } from "node:module";

register("./vendor-hooks.mjs", import.meta.url);
