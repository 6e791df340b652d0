// The benchmark suite: every program natively, under wasmlet's tiers and
// under Node.js (V8), in the same run; prints medians and ratios to native.
//
//   node bench/run.mjs [--build DIR] [--reps N] [--interp-reps N] [--only NAME,...]
//
// --interp-reps 0 leaves the (slow) interpreter out. Besides the table it
// measures the cost of resource control in the AOT tier (the fuel build with
// --fuel, the interrupt watcher with --timeout, both against the default
// build) and hello world end to end with a warm cache.
//
// Outputs of every runtime are compared with the native output, so a wrong
// result can never pass as a fast one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = { build: resolve(here, '..', 'build'), reps: 5, interpReps: 1, only: null };
for (let i = 2; i < process.argv.length; i += 2) {
  const [flag, value] = [process.argv[i], process.argv[i + 1]];
  if (flag === '--build') opts.build = resolve(value);
  else if (flag === '--reps') opts.reps = Number(value);
  else if (flag === '--interp-reps') opts.interpReps = Number(value);
  else if (flag === '--only') opts.only = value.split(',');
  else { console.error(`unknown option ${flag}`); process.exit(2); }
}

const wasmlet = join(opts.build, 'bin', 'wasmlet');
const wasmDir = join(opts.build, 'wasm');
const nativeDir = join(opts.build, 'bench', 'native');
const scratch = mkdtempSync(join(tmpdir(), 'wasmlet-bench-'));
const cacheDir = join(scratch, 'cache');

const benchmarks = [
  // Sized to run 0.2-0.5 s natively, so that process start (about 15 ms for
  // wasmlet, reported separately below) does not dominate the ratios.
  { name: 'fib', args: ['40'] },
  { name: 'sieve', args: ['10000000', '20'] },
  { name: 'matmul', args: ['800'] },
  { name: 'sha256', args: ['64'] },
  { name: 'bytecode_vm', args: ['20000000'] },
  { name: 'print_lines', args: ['2000000'] },
  { name: 'file_io', args: ['/data', '64'], dir: true },
  { name: 'simd', args: ['1500'] },
].filter((b) => !opts.only || opts.only.includes(b.name));

// Node 20 on this machine sometimes dies of SIGSEGV as it exits after a
// program that ran to the end (sha256); such a run counts if its output is
// complete (it is compared with native's like every other), and is reported.
const crashedAtExit = new Set();
function run(argv, env = {}, crashAtExitIsOk = false) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, maxBuffer: 1 << 30, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (crashAtExitIsOk && r.status === null && r.signal === 'SIGSEGV') crashedAtExit.add(argv.join(' '));
  else if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return { ms, out: r.stdout };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

function supportsTier(tier) {
  const r = spawnSync(wasmlet, ['run', '--tier', tier, join(wasmDir, 'exit_code.wasm')], { env: { ...process.env, WASMLET_CACHE_DIR: cacheDir } });
  return r.status === 0;
}

const hasAot = supportsTier('aot');
const tierFlag = (tier) => (supportsTier(tier) ? ['--tier', tier] : []);
const runtimes = [
  { name: 'native', reps: opts.reps, argv: (b, dir) => [join(nativeDir, b.name), ...b.args.map((a) => a.replace('/data', dir))] },
  ...(hasAot ? [
    { name: 'wasmlet aot', reps: opts.reps, warm: true, argv: (b, dir) => [wasmlet, 'run', '--tier', 'aot', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
    { name: 'aot cold', reps: Math.min(opts.reps, 3), cold: true, argv: (b, dir) => [wasmlet, 'run', '--tier', 'aot', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
    // Resource control: the fuel-counting build, and the interrupt watcher armed by a deadline.
    { name: 'aot +fuel', reps: opts.reps, warm: true, argv: (b, dir) => [wasmlet, 'run', '--tier', 'aot', '--fuel', '1000000000000000', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
    { name: 'aot +timeout', reps: opts.reps, warm: true, argv: (b, dir) => [wasmlet, 'run', '--tier', 'aot', '--timeout', '1h', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
  ] : []),
  ...(opts.interpReps > 0 ? [{ name: 'wasmlet interp', reps: opts.interpReps, argv: (b, dir) => [wasmlet, 'run', ...tierFlag('interp'), ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] }] : []),
  { name: 'node', reps: opts.reps, argv: (b, dir) => ['node', '--no-warnings', join(here, 'node_wasi_run.mjs'), join(wasmDir, `${b.name}.wasm`), ...(b.dir ? ['--dir', `${dir}::/data`] : []), '--', ...b.args] },
];

const results = {};
for (const b of benchmarks) {
  results[b.name] = {};
  let expected = null;
  for (const rt of runtimes) {
    const times = [];
    if (rt.warm) run(rt.argv(b, scratch), { WASMLET_CACHE_DIR: cacheDir });
    for (let i = 0; i < rt.reps; ++i) {
      const env = { WASMLET_CACHE_DIR: rt.cold ? mkdtempSync(join(scratch, 'cold-')) : cacheDir };
      const { ms, out } = run(rt.argv(b, scratch), env, rt.name === 'node');
      if (expected === null) expected = out;
      else if (out !== expected) throw new Error(`${rt.name} gave a different result for ${b.name}:\n${out}\nexpected:\n${expected}`);
      times.push(ms);
    }
    results[b.name][rt.name] = median(times);
    process.stderr.write(`${b.name} / ${rt.name}: ${median(times).toFixed(1)} ms\n`);
  }
}

const cols = runtimes.map((r) => r.name);
console.log(`\nMachine: ${cpus().length} x ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}`);
console.log(`Medians of ${opts.reps} runs (interpreter: ${opts.interpReps}); ratio = time / native time.\n`);
console.log(`| benchmark | ${cols.map((c) => `${c} ms`).join(' | ')} | ${cols.slice(1).map((c) => `${c} / native`).join(' | ')} |`);
console.log(`|${' --- |'.repeat(cols.length * 2)}`);
for (const b of benchmarks) {
  const r = results[b.name];
  console.log(`| ${b.name} | ${cols.map((c) => r[c].toFixed(1)).join(' | ')} | ${cols.slice(1).map((c) => (r[c] / r.native).toFixed(2)).join(' | ')} |`);
}
const geo = cols.slice(1).map((c) => geomean(benchmarks.map((b) => results[b.name][c] / results[b.name].native)).toFixed(2));
console.log(`| **geomean** | ${cols.map(() => '').join(' | ')} | ${geo.join(' | ')} |`);
if (hasAot) {
  const over = (c) => geomean(benchmarks.map((b) => results[b.name][c] / results[b.name]['wasmlet aot']));
  console.log(`\nwasmlet AOT is ${over('node').toFixed(2)}x faster than Node.js on geomean.`);
  console.log(`Resource control, geomean over the default AOT build: fuel on ${over('aot +fuel').toFixed(2)}x, interrupt watcher on (--timeout) ${over('aot +timeout').toFixed(2)}x.`);

  // Hello world end to end with a warm cache, and what process start alone costs.
  const hello = join(wasmDir, 'hello.wasm');
  const startup = (argv) => {
    run(argv, { WASMLET_CACHE_DIR: cacheDir });
    return median(Array.from({ length: 21 }, () => run(argv, { WASMLET_CACHE_DIR: cacheDir }).ms));
  };
  const e2e = startup([wasmlet, 'run', '--tier', 'aot', hello]);
  const bare = startup([wasmlet, '--version']);
  const nodeHello = startup(['node', '--no-warnings', join(here, 'node_wasi_run.mjs'), hello]);
  console.log(`Hello world end to end, warm cache (median of 21): wasmlet ${e2e.toFixed(1)} ms ` +
    `(of which \`wasmlet --version\`, i.e. process start, ${bare.toFixed(1)} ms); node ${nodeHello.toFixed(1)} ms.`);
}
for (const cmd of crashedAtExit) console.log(`Note: \`${cmd}\` crashed (SIGSEGV) at exit after printing its complete output.`);
rmSync(scratch, { recursive: true, force: true });
