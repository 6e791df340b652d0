// The benchmark suite: every program natively, under wasmlet's tiers and
// under Node.js (V8), in the same run; prints medians and ratios to native.
//
//   node bench/run.mjs [--build DIR] [--reps N] [--interp-reps N] [--only NAME,...]
//                      [--wasm3 PATH] [--wamr PATH]
//
// --interp-reps 0 leaves the (slow) interpreters out. --wasm3 and --wamr add
// the interpreters users compare wasmlet's with (wasm3, WAMR's iwasm built
// with fast-interp; docs/performance.md says how to build them under /tmp).
// "wasmlet hot" is the interpreter with native hot code for every function
// the program calls (docs/hot.md): the AOT tier is kept from compiling it
// (WASMLET_AOT_MAX_C_BYTES), a first run records what it calls, and the
// measured runs start once the background job has built the hot code.
// Besides the table it measures the cost of resource control (the fuel
// build and the interrupt watcher in the AOT tier, fuel in the interpreter)
// and hello world end to end, native and in every tier.
//
// Outputs of every runtime are compared with the native output, so a wrong
// result can never pass as a fast one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const opts = { build: resolve(here, '..', 'build'), reps: 5, interpReps: 1, only: null, wasm3: null, wamr: null };
for (let i = 2; i < process.argv.length; i += 2) {
  const [flag, value] = [process.argv[i], process.argv[i + 1]];
  if (flag === '--build') opts.build = resolve(value);
  else if (flag === '--reps') opts.reps = Number(value);
  else if (flag === '--interp-reps') opts.interpReps = Number(value);
  else if (flag === '--only') opts.only = value.split(',');
  else if (flag === '--wasm3') opts.wasm3 = resolve(value);
  else if (flag === '--wamr') opts.wamr = resolve(value);
  else { console.error(`unknown option ${flag}`); process.exit(2); }
}

const wasmlet = join(opts.build, 'bin', 'wasmlet');
const wasmDir = join(opts.build, 'wasm');
const nativeDir = join(opts.build, 'bench', 'native');
const scratch = mkdtempSync(join(tmpdir(), 'wasmlet-bench-'));
const cacheDir = join(scratch, 'cache');
const hotCacheDir = join(scratch, 'hot-cache');
const hotEnv = { WASMLET_CACHE_DIR: hotCacheDir, WASMLET_AOT_MAX_C_BYTES: '4096', WASMLET_AOT_BACKGROUND_JOBS: '2' };
const hotLibraries = () => (existsSync(join(hotCacheDir, 'hot')) ? readdirSync(join(hotCacheDir, 'hot')).filter((f) => f.endsWith('.so')).length : 0);
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

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
function run(argv, env = {}, crashAtExitIsOk = false, cwd = undefined) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...process.env, ...env }, cwd, maxBuffer: 1 << 30, encoding: 'utf8' });
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
const hasHot = spawnSync(process.env.CXX || 'c++', ['--version']).status === 0;
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
  ...(opts.interpReps > 0 ? [
    { name: 'wasmlet interp', reps: opts.interpReps, argv: (b, dir) => [wasmlet, 'run', ...tierFlag('interp'), ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
    ...(hasHot ? [{ name: 'wasmlet hot', reps: opts.reps, hot: true, argv: (b, dir) => [wasmlet, 'run', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] }] : []),
    { name: 'interp +fuel', reps: opts.interpReps, argv: (b, dir) => [wasmlet, 'run', ...tierFlag('interp'), '--fuel', '1000000000000000', ...(b.dir ? ['--dir', `${dir}::/data`] : []), join(wasmDir, `${b.name}.wasm`), '--', ...b.args] },
    // Other interpreters, when given: a program one of them cannot run
    // (wasm3 has no SIMD) is reported as n/a with its reason.
    ...(opts.wasm3 ? [{ name: 'wasm3', reps: opts.interpReps, optional: true, argv: (b, dir) => [opts.wasm3, join(wasmDir, `${b.name}.wasm`), ...b.args.map((a) => a.replace('/data', '/'))], cwd: (b, dir) => dir }] : []),
    ...(opts.wamr ? [{ name: 'wamr fast-interp', reps: opts.interpReps, optional: true, argv: (b, dir) => [opts.wamr, '--stack-size=1048576', ...(b.dir ? [`--map-dir=/data::${dir}`] : []), join(wasmDir, `${b.name}.wasm`), ...b.args] }] : []),
  ] : []),
  { name: 'node', reps: opts.reps, argv: (b, dir) => ['node', '--no-warnings', join(here, 'node_wasi_run.mjs'), join(wasmDir, `${b.name}.wasm`), ...(b.dir ? ['--dir', `${dir}::/data`] : []), '--', ...b.args] },
];

const results = {};
const unsupported = [];  // [runtime, benchmark, why] of optional runtimes
for (const b of benchmarks) {
  results[b.name] = {};
  let expected = null;
  for (const rt of runtimes) {
    const times = [];
    try {
      if (rt.warm) run(rt.argv(b, scratch), { WASMLET_CACHE_DIR: cacheDir });
      if (rt.hot) {
        const before = hotLibraries();
        run(rt.argv(b, scratch), hotEnv);
        for (let waited = 0; hotLibraries() === before; waited += 100) {
          if (waited > 600000) throw new Error(`no hot code for ${b.name} after 10 minutes (logs: ${hotCacheDir}/aot/jobs)`);
          sleep(100);
        }
      }
      for (let i = 0; i < rt.reps; ++i) {
        const env = rt.hot ? hotEnv : { WASMLET_CACHE_DIR: rt.cold ? mkdtempSync(join(scratch, 'cold-')) : cacheDir };
        const { ms, out } = run(rt.argv(b, scratch), env, rt.name === 'node', rt.cwd?.(b, scratch));
        if (expected === null) expected = out;
        else if (out !== expected) throw new Error(`${rt.name} gave a different result for ${b.name}:\n${out}\nexpected:\n${expected}`);
        times.push(ms);
      }
    } catch (e) {
      if (!rt.optional) throw e;
      unsupported.push([rt.name, b.name, e.message.split('\n').filter(Boolean).slice(-1)[0]?.slice(0, 120)]);
      results[b.name][rt.name] = null;
      process.stderr.write(`${b.name} / ${rt.name}: n/a\n`);
      continue;
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
const fmt = (x, digits) => (x === null ? 'n/a' : x.toFixed(digits));
for (const b of benchmarks) {
  const r = results[b.name];
  console.log(`| ${b.name} | ${cols.map((c) => fmt(r[c], 1)).join(' | ')} | ${cols.slice(1).map((c) => fmt(r[c] === null ? null : r[c] / r.native, 2)).join(' | ')} |`);
}
// A runtime that could not run every program: geomean over those it ran, marked.
const ran = (c) => benchmarks.filter((b) => results[b.name][c] !== null);
const geo = cols.slice(1).map((c) => {
  const g = geomean(ran(c).map((b) => results[b.name][c] / results[b.name].native)).toFixed(2);
  return ran(c).length === benchmarks.length ? g : `${g} (${ran(c).length} of ${benchmarks.length})`;
});
console.log(`| **geomean** | ${cols.map(() => '').join(' | ')} | ${geo.join(' | ')} |`);
for (const [rt, b, why] of unsupported) console.log(`n/a: ${rt} could not run ${b}: ${why}`);
const others = cols.filter((c) => c === 'wasm3' || c === 'wamr fast-interp');
if (opts.interpReps > 0) {
  const fuel = geomean(benchmarks.map((b) => results[b.name]['interp +fuel'] / results[b.name]['wasmlet interp']));
  console.log(`\nFuel in the interpreter, geomean over fuel off: ${fuel.toFixed(2)}x.`);
  for (const c of others) {
    const common = ran(c).map((b) => b.name);
    const over = (col) => geomean(common.map((n) => results[n][col] / results[n].native)).toFixed(2);
    console.log(`Over the ${common.length} programs ${c} ran (${common.join(', ')}): wasmlet interp ${over('wasmlet interp')}x native, ${c} ${over(c)}x.`);
  }
}
if (hasAot) {
  const over = (c) => geomean(benchmarks.map((b) => results[b.name][c] / results[b.name]['wasmlet aot']));
  console.log(`\nwasmlet AOT is ${over('node').toFixed(2)}x faster than Node.js on geomean.`);
  console.log(`Resource control, geomean over the default AOT build: fuel on ${over('aot +fuel').toFixed(2)}x, interrupt watcher on (--timeout) ${over('aot +timeout').toFixed(2)}x.`);
}

// Hello world end to end (warm cache), every way, spawned the same way as
// the native program so that the spawn's own cost is in every figure.
{
  const hello = join(wasmDir, 'hello.wasm');
  const startup = (argv) => {
    run(argv, { WASMLET_CACHE_DIR: cacheDir });
    return median(Array.from({ length: 41 }, () => run(argv, { WASMLET_CACHE_DIR: cacheDir }).ms));
  };
  const rows = [
    ['native', [join(nativeDir, 'hello')]],
    ['`wasmlet --version` (process start)', [wasmlet, '--version']],
    ['wasmlet interp', [wasmlet, 'run', ...tierFlag('interp'), hello]],
    ...(hasAot ? [['wasmlet aot', [wasmlet, 'run', '--tier', 'aot', hello]], ['wasmlet (default tier)', [wasmlet, 'run', hello]]] : []),
    ['node', ['node', '--no-warnings', join(here, 'node_wasi_run.mjs'), hello]],
    ...others.map((c) => [c, c === 'wasm3' ? [opts.wasm3, hello] : [opts.wamr, hello]]),
  ].map(([name, argv]) => [name, startup(argv)]);
  console.log('\nHello world end to end, warm cache (median of 41 spawns from Node, which adds its own spawn cost to each):');
  for (const [name, ms] of rows) console.log(`- ${name}: ${ms.toFixed(2)} ms (${(ms / rows[0][1]).toFixed(2)}x native)`);
}
for (const cmd of crashedAtExit) console.log(`Note: \`${cmd}\` crashed (SIGSEGV) at exit after printing its complete output.`);
rmSync(scratch, { recursive: true, force: true });
