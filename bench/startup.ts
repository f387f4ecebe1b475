// Time from spawning `node dist/dev/start.js` (what `npm start` runs after the build) to the first 200 from
// GET /api/health, with fresh data folders and free ports each run. BENCH_STARTUP_RUNS (3).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../dev/host/ports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const startScript = fileURLToPath(new URL('../dev/start.js', import.meta.url));
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 3);
const GIVE_UP_MS = 60_000;

if (!existsSync(startScript)) {
  console.error(`bench/startup: ${startScript} is missing; run \`npm run build\` first`);
  process.exit(1);
}

async function measureOnce(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'calendar-bridge-startup-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    SIM_PORT: '0',
    AZURITE_TABLE_PORT: '0',
    AZURITE_QUEUE_PORT: '0',
    LOCAL_DATA_DIR: dataDir,
  };
  // A fresh start: no storage, simulator or secrets inherited from the shell.
  for (const name of ['AzureWebJobsStorage', 'M365_SIMULATOR_URL', 'PUBLIC_BASE_URL', 'LOCAL_SECRETS_PATH', 'ENTRA_CLIENT_ID']) delete env[name];

  const started = performance.now();
  const child = spawn(process.execPath, [startScript], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  try {
    while (performance.now() - started < GIVE_UP_MS) {
      if (exited) throw new Error(`start.js exited before answering:\n${output}`);
      const status = await fetch(`http://127.0.0.1:${port}/api/health`).then(
        (res) => res.arrayBuffer().then(() => res.status),
        () => 0,
      );
      if (status === 200) return performance.now() - started;
      if (status === 404) throw new Error('the local host answers, but has no /api/health function (404)');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no 200 from /api/health within ${GIVE_UP_MS} ms:\n${output}`);
  } finally {
    if (!exited) child.kill('SIGTERM');
    await exitedPromise;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const times: number[] = [];
try {
  for (let i = 0; i < runs; i++) times.push(Math.round(await measureOnce()));
} catch (error) {
  console.error(`bench/startup: ${(error as Error).message}`);
  process.exit(1);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.info(`startup: first 200 from /api/health after ${times.join(', ')} ms (median ${median} ms over ${runs} fresh starts)`);
console.info(`RESULT ${JSON.stringify({ bench: 'startup', metric: 'start to first health 200 (median)', value: median, unit: 'ms' })}`);
console.info(`RESULT ${JSON.stringify({ bench: 'startup', metric: 'start to first health 200 (max)', value: sorted.at(-1), unit: 'ms' })}`);
