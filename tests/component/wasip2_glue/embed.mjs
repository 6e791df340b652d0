// node embed.mjs CORE.wasm WIT_DIR WORLD OUT.wasm
//
// What `jco embed --wit WIT_DIR --world-name WORLD` does: records the world
// in the core module (wit-component's component-type custom section) so that
// `jco new` knows the types of its WASI 0.2 imports. jco 1.35's own command
// cannot read a WIT folder (its wasm-tools runs with no filesystem
// preopens), so this preopens "/" for the same wasm-tools and calls it.
import { readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [core, witDir, world, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node embed.mjs CORE.wasm WIT_DIR WORLD OUT.wasm");
  process.exit(2);
}
// The preview2-shim instance jco-transpile's wasm-tools imports (Node looks
// in node_modules folders from that package upwards), not another copy.
const wasmTools = fileURLToPath(import.meta.resolve("@bytecodealliance/jco-transpile/wasm-tools"));
let shim = null;
for (let dir = dirname(wasmTools); dir !== dirname(dir) && !shim; dir = dirname(dir)) {
  const candidate = join(dir, "node_modules/@bytecodealliance/preview2-shim/dist/nodejs/filesystem.js");
  if (existsSync(candidate)) shim = candidate;
}
if (!shim) throw new Error(`no @bytecodealliance/preview2-shim above ${wasmTools} (run npm ci)`);
const filesystem = await import(pathToFileURL(shim));
filesystem._setPreopens({ "/": "/" });
const { componentEmbed } = await import("@bytecodealliance/jco-transpile/wasm-tools");

const bytes = await componentEmbed({ binary: await readFile(core), witPath: resolve(witDir), world });
await writeFile(out, bytes);
