// `npm run bench`: runs every bench script (each top-level file of bench/; helpers belong in bench/lib/)
// one after the other, then prints one table. A script reports figures by printing lines
//   RESULT {"bench":"<name>","metric":"<what>","value":<number>,"unit":"<unit>"}
// The defaults keep the whole run under 5 minutes on 2 cores (load benches 5 s each; a script that runs
// past BENCH_SCRIPT_TIMEOUT_S, 150, is stopped and reported as failed). `npm run bench -- health memory`
// runs only those scripts. docs/benchmarks.md says what each figure means.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Result {
  bench: string;
  metric: string;
  value: number | string;
  unit: string;
}

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const self = basename(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const scripts = readdirSync(benchDir)
  .filter((f) => f.endsWith('.js') && f !== self)
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, '')))
  .sort();

// Short load phases unless the caller asks for more: the figures settle within a few seconds.
// Renewals are linear in connections (one $batch per connection and 20 subscriptions), so 100 users x 20
// calendars are measured and the cost is stated per 10,000 below.
const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  BENCH_DURATION_S: process.env.BENCH_DURATION_S ?? '5',
  BENCH_RENEW_USERS: process.env.BENCH_RENEW_USERS ?? '100',
  // A week of upkeep on the simulator's clock: 50 connections fit the script timeout; the per-connection
  // figures at scale come from a run of its own (docs/benchmarks.md).
  BENCH_UPKEEP_CONNECTIONS: process.env.BENCH_UPKEEP_CONNECTIONS ?? '50',
  // The notification flood runs as long as the threat it reproduces (10 loops for 15 s).
  BENCH_FLOOD_S: process.env.BENCH_FLOOD_S ?? '15',
};
const scriptTimeoutMs = Number(process.env.BENCH_SCRIPT_TIMEOUT_S ?? 150) * 1000;

function run(script: string): Promise<{ code: number; results: Result[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'], env: childEnv });
    const timer = setTimeout(() => {
      console.error(`${script}: still running after ${scriptTimeoutMs / 1000} s, stopped`);
      child.kill('SIGKILL');
    }, scriptTimeoutMs);
    const results: Result[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('RESULT ')) {
          try {
            results.push(JSON.parse(line.slice('RESULT '.length)) as Result);
          } catch {
            console.error(`${script}: unreadable RESULT line: ${line}`);
          }
        } else console.info(`  ${line}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, results });
    });
  });
}

const rows: Result[] = [];
const failed: string[] = [];
const started = performance.now();
for (const script of scripts) {
  console.info(`> ${script}`);
  const t0 = performance.now();
  const { code, results } = await run(script);
  rows.push(...results);
  rows.push({ bench: script.replace(/\.js$/, ''), metric: 'bench wall time', value: Math.round((performance.now() - t0) / 100) / 10, unit: 's' });
  if (code !== 0) failed.push(script);
}

// Derived: Graph requests per 10,000 renewals, from whatever number the renewals bench renewed.
const value = (bench: string, metric: string) => rows.find((r) => r.bench === bench && r.metric === metric)?.value;
const renewed = value('renewals', 'subscriptions renewed');
const renewRequests = value('renewals', 'Graph HTTP requests');
if (typeof renewed === 'number' && typeof renewRequests === 'number' && renewed > 0) {
  rows.push({ bench: 'renewals', metric: 'Graph requests per 10,000 renewals (one mailbox subscription per user)', value: Math.round((renewRequests / renewed) * 10_000), unit: 'requests' });
}

const header: Result = { bench: 'bench', metric: 'metric', value: 'value', unit: 'unit' };
const cells = [header, ...rows].map((r) => [r.bench, r.metric, String(r.value), r.unit]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
const format = (c: string[]) => c.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
console.info('');
console.info(format(cells[0]!));
console.info(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells.slice(1)) console.info(format(c));
console.info(`\n${scripts.length} bench script(s) in ${Math.round((performance.now() - started) / 1000)} s`);
if (failed.length > 0) {
  console.info(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
