// `npm run simulator` starts the Microsoft 365 simulator alone (for `func start`, which has none of its own).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SEED_TENANT } from '../../dev/simulator/seed.js';

describe('npm run simulator', () => {
  it('serves the simulator on SIM_PORT and stops on SIGTERM', async () => {
    const script = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.simulator;
    expect(script).toBe('tsx dev/simulator/main.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/simulator/main.ts'], { env: { ...process.env, SIM_PORT: '0' } });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL printed within 20 s: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const discovery = await fetch(`${url}/${SEED_TENANT.id}/v2.0/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`${url}/${SEED_TENANT.id}/v2.0`);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
