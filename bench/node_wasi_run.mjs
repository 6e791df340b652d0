// Runs a WASI preview1 program under Node.js (V8) for comparison:
//   node --no-warnings node_wasi_run.mjs FILE.wasm [--dir HOST::GUEST] [-- ARGS...]
import { WASI } from 'node:wasi';
import { readFile } from 'node:fs/promises';

const argv = process.argv.slice(2);
const file = argv.shift();
const preopens = {};
while (argv[0] === '--dir') {
  const [host, guest] = argv[1].split('::');
  preopens[guest ?? host] = host;
  argv.splice(0, 2);
}
if (argv[0] === '--') argv.shift();
const wasi = new WASI({ version: 'preview1', args: [file, ...argv], env: {}, preopens });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
