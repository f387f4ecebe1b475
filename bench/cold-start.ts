// Cold start of the app itself: time from spawning a fresh Node process that runs the local host with every
// function (dist/dev/start.js, with storage and the simulator already up, so neither is started by it) to
// the first served request: GET /api/health 200, and the first API answer that reads storage and checks a
// key (GET /api/connections, 401). BENCH_COLD_STARTS (5) fresh processes; median and max.
// Before that, what the Azure Functions host pays first: importing dist/functions/index.js (package.json
// "main", the esbuild bundle, which registers every function) in a fresh Node process, interleaved with a
// fresh process importing only node:http (bare Node), BENCH_IMPORTS (7) times each; medians and their ratio.
// Then what the first invocation adds, BENCH_FIRST_CALLS (3) fresh processes: the bundle imported, then its
// health function invoked through the registration (its code imported on that call, storage and the secret
// store checked), then the code of every other function imported (the most any process ever loads).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from '../dev/host/ports.js';
import { COMPILED_START_SCRIPT, spawnApp, untilAnswers } from '../test/support/app-process.js';
import { startWorld } from '../test/support/world.js';
import { SIMULATED_CLIENT_ID } from '../dev/simulator/seed.js';
import { report } from './lib/sync-fixture.js';

const runs = Number(process.env.BENCH_COLD_STARTS ?? 5);
const imports = Number(process.env.BENCH_IMPORTS ?? 7);
const firstCalls = Number(process.env.BENCH_FIRST_CALLS ?? 3);
const entry = fileURLToPath(new URL('../functions/index.js', import.meta.url));
const repository = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(COMPILED_START_SCRIPT)) {
  console.error(`bench/cold-start: ${COMPILED_START_SCRIPT} is missing; run \`npm run build\` first`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'cb-cold-'));
// Storage and the simulator for the app processes; this process's own app settings are left alone.
const world = await startWorld({ secretsPath: join(dir, 'secrets.json'), pointThisProcess: false });

async function once(): Promise<{ health: number; api: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, ...world.settings, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.PUBLIC_BASE_URL;
  const t0 = performance.now();
  const app = spawnApp(env);
  const firstStatus = async (path: string, want: number): Promise<number> => {
    await untilAnswers(app, `http://127.0.0.1:${port}${path}`, want, { timeout: 60_000, interval: 5 });
    return performance.now() - t0;
  };
  try {
    const health = await firstStatus('/api/health', 200);
    const api = await firstStatus('/api/connections?externalUserId=x', 401);
    return { health, api };
  } finally {
    await app.stop();
  }
}

/** Milliseconds a fresh Node process spends importing `specifier` (timed inside the child). */
function importTime(specifier: string, env: NodeJS.ProcessEnv): Promise<number> {
  const code = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  return runChild(code, specifier, env).then(Number);
}

/** In a fresh process: the bundle's import, its health function's first invocation, then every function's code. */
async function firstInvocation(env: NodeJS.ProcessEnv): Promise<{ imported: number; health: number; status: number; rest: number }> {
  const code = `
    const { HttpRequest, InvocationContext } = (await import('@azure/functions')).default;
    const t0 = performance.now();
    const { functions } = await import(${JSON.stringify(pathToFileURL(entry).href)});
    const t1 = performance.now();
    const health = functions.find((f) => f.name === 'health');
    const answer = await health.handler(new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }), new InvocationContext({ functionName: 'health' }));
    const t2 = performance.now();
    await Promise.all(functions.map((f) => f.loadCode()));
    const t3 = performance.now();
    process.stdout.write(JSON.stringify({ imported: t1 - t0, health: t2 - t1, status: answer.status, rest: t3 - t2 }));`;
  return JSON.parse(await runChild(code, 'the bundle, then its health function', env)) as { imported: number; health: number; status: number; rest: number };
}

/** Runs `code` as an ES module in a fresh Node process (from the repository, so packages resolve); its stdout. */
function runChild(code: string, what: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { env, cwd: repository, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    const why = () => err.split('\n').filter((l) => /Error/.test(l) && l.length < 300).at(-1) ?? '';
    child.once('exit', (status) => (status === 0 && out ? resolve(out) : reject(new Error(`${what} failed (${status}) ${why()}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  // The bundle reads its settings as it loads (as in Azure): the app registration's id included.
  const importEnv = { ...process.env, ...world.settings, ENTRA_CLIENT_ID: SIMULATED_CLIENT_ID, LOCAL_SECRETS_PATH: ':memory:' };
  const appImports: number[] = [];
  const bareImports: number[] = [];
  for (let i = 0; i < imports; i += 1) {
    bareImports.push(await importTime('node:http', importEnv));
    appImports.push(await importTime(pathToFileURL(entry).href, importEnv));
  }
  const appImport = Math.round(median(appImports));
  const bareImport = Math.round(median(bareImports));
  console.info(`cold-start: import of dist/functions/index.js ${appImports.map(Math.round).join(', ')} ms; bare Node (node:http) ${bareImports.map(Math.round).join(', ')} ms; load average ${loadavg()[0]!.toFixed(1)}`);
  report('cold-start', 'import dist/functions/index.js (median)', appImport, 'ms');
  report('cold-start', 'import node:http, bare Node (median)', bareImport, 'ms');
  report('cold-start', 'import app / bare Node', Math.round((appImport / Math.max(1, bareImport)) * 10) / 10, 'ratio');

  const calls: { imported: number; health: number; status: number; rest: number }[] = [];
  for (let i = 0; i < firstCalls; i += 1) calls.push(await firstInvocation(importEnv));
  const fmt = (pick: (c: (typeof calls)[number]) => number) => calls.map((c) => Math.round(pick(c))).join(', ');
  console.info(
    `cold-start: bundle imported in ${fmt((c) => c.imported)} ms, then first health invocation (its code imported, status ${calls.map((c) => c.status).join(', ')}) ${fmt((c) => c.health)} ms, then every other function's code ${fmt((c) => c.rest)} ms; load average ${loadavg()[0]!.toFixed(1)}`,
  );
  report('cold-start', 'first invocation (health) after the import (median)', Math.round(median(calls.map((c) => c.health))), 'ms');
  report('cold-start', 'import of every other function\'s code after that (median)', Math.round(median(calls.map((c) => c.rest))), 'ms');

  const results: { health: number; api: number }[] = [];
  for (let i = 0; i < runs; i += 1) results.push(await once());
  const health = results.map((r) => Math.round(r.health));
  const api = results.map((r) => Math.round(r.api));
  console.info(`cold-start: first health 200 after ${health.join(', ')} ms; first API answer after ${api.join(', ')} ms (${runs} fresh processes)`);
  report('cold-start', 'process start to first request served (median)', median(health), 'ms');
  report('cold-start', 'process start to first request served (max)', Math.max(...health), 'ms');
  report('cold-start', 'process start to first API answer (median)', median(api), 'ms');
} finally {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
}
