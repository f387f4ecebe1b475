// Time from spawning `node dist/dev/start.js` (what `npm start` runs after the build) to the first 200 from
// GET /api/health, with fresh data folders and free ports each run. BENCH_STARTUP_RUNS (3).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../dev/host/ports.js';
import { COMPILED_START_SCRIPT, spawnApp, statusOf, untilAnswers } from '../test/support/app-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = Number(process.env.BENCH_STARTUP_RUNS ?? 3);
const GIVE_UP_MS = 60_000;

if (!existsSync(COMPILED_START_SCRIPT)) {
  console.error(`bench/startup: ${COMPILED_START_SCRIPT} is missing; run \`npm run build\` first`);
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
  const app = spawnApp(env, { cwd: root });
  try {
    await untilAnswers(app, `http://127.0.0.1:${port}/api/health`, 200, { timeout: GIVE_UP_MS, interval: 10 }).catch(async (error: Error) => {
      if ((await statusOf(`http://127.0.0.1:${port}/api/health`)) === 404) throw new Error('the local host answers, but has no /api/health function (404)');
      throw error;
    });
    return performance.now() - started;
  } finally {
    await app.stop();
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
