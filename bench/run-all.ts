// `npm run bench`: runs every bench script (each top-level file of bench/; helpers belong in bench/lib/)
// one after the other, then prints one table. A script reports figures by printing lines
//   RESULT {"bench":"<name>","metric":"<what>","value":<number>,"unit":"<unit>"}
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

function run(script: string): Promise<{ code: number; results: Result[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    child.on('exit', (code) => resolve({ code: code ?? 1, results }));
  });
}

const rows: Result[] = [];
const failed: string[] = [];
for (const script of scripts) {
  console.info(`> ${script}`);
  const { code, results } = await run(script);
  rows.push(...results);
  if (code !== 0) failed.push(script);
}

const header: Result = { bench: 'bench', metric: 'metric', value: 'value', unit: 'unit' };
const cells = [header, ...rows].map((r) => [r.bench, r.metric, String(r.value), r.unit]);
const widths = [0, 1, 2, 3].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
const format = (c: string[]) => c.map((cell, i) => (i === 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
console.info('');
console.info(format(cells[0]!));
console.info(widths.map((w) => '-'.repeat(w)).join('  '));
for (const c of cells.slice(1)) console.info(format(c));
if (failed.length > 0) {
  console.info(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
