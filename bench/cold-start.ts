// Cold start of the app itself: time from spawning a fresh Node process that runs the local host with every
// function (dist/dev/start.js, with storage and the simulator already up, so neither is started by it) to
// the first served request: GET /api/health 200, and the first API answer that reads storage and checks a
// key (GET /api/connections, 401). BENCH_COLD_STARTS (5) fresh processes; median and max.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAzurite } from '../dev/azurite.js';
import { freePort } from '../dev/host/ports.js';
import { startSimulator } from '../dev/simulator/server.js';
import { report } from './lib/sync-fixture.js';

const runs = Number(process.env.BENCH_COLD_STARTS ?? 5);
const startScript = fileURLToPath(new URL('../dev/start.js', import.meta.url));
if (!existsSync(startScript)) {
  console.error(`bench/cold-start: ${startScript} is missing; run \`npm run build\` first`);
  process.exit(1);
}

const azurite = await startAzurite();
const sim = await startSimulator({ port: 0 });
const dir = mkdtempSync(join(tmpdir(), 'cb-cold-'));

async function once(): Promise<{ health: number; api: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    AzureWebJobsStorage: azurite.connectionString,
    M365_SIMULATOR_URL: sim.url,
    LOCAL_SECRETS_PATH: join(dir, 'secrets.json'),
    LOG_LEVEL: 'warn',
  };
  delete env.PUBLIC_BASE_URL;
  const t0 = performance.now();
  const child = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstStatus = async (path: string, want: number): Promise<number> => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`start.js exited: ${stderr}`);
      if (performance.now() - t0 > 60_000) throw new Error(`no ${want} from ${path} within 60 s: ${stderr}`);
      const status = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.arrayBuffer().then(() => r.status), () => 0);
      if (status === want) return performance.now() - t0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  try {
    const health = await firstStatus('/api/health', 200);
    const api = await firstStatus('/api/connections?externalUserId=x', 401);
    return { health, api };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

try {
  const results: { health: number; api: number }[] = [];
  for (let i = 0; i < runs; i += 1) results.push(await once());
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const health = results.map((r) => Math.round(r.health));
  const api = results.map((r) => Math.round(r.api));
  console.info(`cold-start: first health 200 after ${health.join(', ')} ms; first API answer after ${api.join(', ')} ms (${runs} fresh processes)`);
  report('cold-start', 'process start to first request served (median)', median(health), 'ms');
  report('cold-start', 'process start to first request served (max)', Math.max(...health), 'ms');
  report('cold-start', 'process start to first API answer (median)', median(api), 'ms');
} finally {
  await sim.close();
  await azurite.close();
  rmSync(dir, { recursive: true, force: true });
}
