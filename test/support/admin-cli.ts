// Runs the admin CLI (`npm run admin -- ...`) as its own process against a test app's admin API.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AppHost } from './app-host.js';

const run = promisify(execFile);

/**
 * By default the CLI sends the app's admin key (CALENDAR_BRIDGE_ADMIN_KEY). `env` replaces the credential
 * variables instead: the CLI then sees only what it gives (plus PATH and the app URL).
 */
export function runAdminCli(
  app: Pick<AppHost, 'url' | 'adminKey'>,
  args: string[],
  env?: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  const credentials = env ?? { CALENDAR_BRIDGE_ADMIN_KEY: app.adminKey };
  const base = env ? { PATH: process.env.PATH ?? '' } : process.env;
  return run(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', ...args], {
    env: { ...base, CALENDAR_BRIDGE_URL: app.url, ...credentials },
  });
}
