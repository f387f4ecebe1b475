// The app as `npm start` runs it (dev/start.ts), in a child process of its own: for what must kill and
// restart it (the chaos run), read its output (the log tests) or time its start (the start-up benches).
// From TypeScript it runs dev/start.ts under tsx; compiled (dist/), the compiled dev/start.js.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { useSimulator } from '../../dev/simulated-microsoft.js';
import { resetConfig } from '../../shared/config.js';
import { getServices, resetServices, type Services } from '../../shared/services.js';
import { waitFor } from './wait-for.js';

export interface AppProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** True once it has exited (by itself or stopped). */
  exited(): boolean;
  /** Sends `signal` and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const fromTypeScript = import.meta.url.endsWith('.ts');
/** The compiled entry point, next to this module in dist/. */
export const COMPILED_START_SCRIPT = fileURLToPath(new URL('../../dev/start.js', import.meta.url));

/** Spawns the app with `env` (its settings: PORT, AzureWebJobsStorage, ...); returns at once. */
export function spawnApp(env: NodeJS.ProcessEnv, options: { cwd?: string } = {}): AppProcess {
  const args = fromTypeScript ? ['--import', 'tsx', fileURLToPath(new URL('../../dev/start.ts', import.meta.url))] : [COMPILED_START_SCRIPT];
  const child = spawn(process.execPath, args, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (!exited()) child.kill(signal);
      await gone;
    },
  };
}

/** The status `url` answers with, 0 while nothing answers (a refused connection: the app is still starting). */
export function statusOf(url: string): Promise<number> {
  return fetch(url).then(
    (res) => res.arrayBuffer().then(() => res.status),
    () => 0,
  );
}

/** Waits until `url` answers `status`; fails at once, with its output, if the app exits first. */
export async function untilAnswers(app: AppProcess, url: string, status = 200, options: { timeout?: number; interval?: number } = {}): Promise<void> {
  await waitFor(
    async () => {
      if (app.exited()) throw new Error(`the app exited before ${url} answered ${status}:\n${app.output().slice(-3000)}`);
      return (await statusOf(url)) === status;
    },
    { message: `${url} to answer ${status}`, timeout: options.timeout ?? 60_000, interval: options.interval ?? 50 },
  ).catch((error: Error) => {
    throw app.exited() ? error : new Error(`${error.message}\n${app.output().slice(-3000)}`, { cause: error });
  });
}

/**
 * The operator's admin key of an app that keeps its secrets in the local store at `secretsPath`. The key is
 * generated on first use, so one refused admin call is made first.
 */
export async function adminKeyOf(appUrl: string, secretsPath: string): Promise<string> {
  await statusOf(`${appUrl}/api/manage/system`);
  const file = JSON.parse(readFileSync(secretsPath, 'utf8')) as { secrets: Record<string, { value: string }[]> };
  const key = file.secrets['admin-api-key']?.at(-1)?.value;
  if (!key) throw new Error(`no admin key in ${secretsPath} after the first admin call`);
  return key;
}

/** The settings of an app spawned on `port` against `simulatorUrl`, its data (and secrets file) in `dataDir`. */
export function spawnedAppSettings(simulatorUrl: string, dataDir: string, port: number): Record<string, string> {
  return {
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    M365_SIMULATOR_URL: simulatorUrl,
    LOCAL_SECRETS_PATH: join(dataDir, 'secrets.json'),
    LOCAL_DATA_DIR: dataDir,
  };
}

/**
 * The services of this test process, set up as a spawned app on `port` with its data in `dataDir` sees them
 * (the same simulator, secrets file and public URL), so a test reads and writes the store the app uses.
 */
export function servicesLikeApp(simulatorUrl: string, dataDir: string, port: number): Services {
  const { M365_SIMULATOR_URL, LOCAL_SECRETS_PATH, PUBLIC_BASE_URL } = spawnedAppSettings(simulatorUrl, dataDir, port);
  Object.assign(process.env, { M365_SIMULATOR_URL, LOCAL_SECRETS_PATH, PUBLIC_BASE_URL });
  useSimulator(simulatorUrl);
  resetConfig();
  resetServices();
  return getServices();
}
