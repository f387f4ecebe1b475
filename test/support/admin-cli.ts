// Runs the admin CLI (`npm run admin -- ...`) as its own process against a test app's admin API.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AppHost } from './app-host.js';

const run = promisify(execFile);

export function runAdminCli(app: Pick<AppHost, 'url' | 'adminKey'>, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
    env: { ...process.env, CALENDAR_BRIDGE_URL: app.url, CALENDAR_BRIDGE_ADMIN_KEY: app.adminKey },
  });
}
