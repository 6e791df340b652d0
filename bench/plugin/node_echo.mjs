// Node.js side of bench/plugin: instantiates the same echo plugin per call
// with the WebAssembly JS API, implements the wasmlet.* imports the way the
// host does (copying input/output, UTF-8 + JSON checks), and reports calls/s.
//   node bench/plugin/node_echo.mjs build/wasm/echo.wasm [seconds]
import { readFileSync } from 'node:fs';

const [wasmPath, secondsArg = '3'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const module = new WebAssembly.Module(readFileSync(wasmPath));
const input = new TextEncoder().encode(JSON.stringify({ hello: 'world', n: 42, list: [1, 2, 3] }));
const decoder = new TextDecoder('utf-8', { fatal: true });

function callOnce(inputBytes) {
  let memory;
  let output = null;
  const wasmlet = {
    input_len: () => inputBytes.length,
    input_read: (ptr, len) => {
      const n = Math.min(len >>> 0, inputBytes.length);
      new Uint8Array(memory.buffer, ptr >>> 0, n).set(inputBytes.subarray(0, n));  // throws if out of bounds
      return n;
    },
    output_set: (ptr, len) => { output = new Uint8Array(memory.buffer, ptr >>> 0, len >>> 0).slice(); },
    log: () => {},
    config_get: () => -1,
    http_request: () => 1,
    response_len: () => 0,
    response_read: () => 0,
  };
  const imports = { wasmlet };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.module !== 'wasmlet') (imports[imp.module] ??= {})[imp.name] ??= () => 0;
  }
  const instance = new WebAssembly.Instance(module, imports);
  memory = instance.exports.memory;
  instance.exports._initialize?.();
  const status = instance.exports.execute();
  if (status !== 0 || output === null) throw new Error('echo failed');
  const text = decoder.decode(output);
  return JSON.parse(text);
}

// Warm up (lets V8 tier up the host-side JS), then measure.
for (let i = 0; i < 200; ++i) callOnce(input);
let calls = 0;
const start = process.hrtime.bigint();
const end = start + BigInt(Math.round(seconds * 1e9));
let now = start;
while (now < end) {
  for (let i = 0; i < 50; ++i) callOnce(input);
  calls += 50;
  now = process.hrtime.bigint();
}
const elapsed = Number(now - start) / 1e9;
console.log(JSON.stringify({ runtime: `node ${process.version}`, calls, seconds: elapsed, calls_per_sec: calls / elapsed }));
