// The official Bicep compiler, restored from NuGet by the project's own tools/bicep/bicep.csproj (pinned
// version, into tools/bicep/packages/). `.ci/run` restores it up front; the helper restores it when it is
// missing and fails plainly when it cannot, so a machine without it never passes the compiler tests.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './bicep.js';

const run = promisify(execFile);

export const BICEP_PROJECT = join(repoRoot, 'tools/bicep/bicep.csproj');
export const BICEP_CONFIG = join(repoRoot, 'infra/bicepconfig.json');
const PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

/** The pinned version, read from the project file (the one place it is written). */
export function bicepVersion(): string {
  const match = new RegExp(`Include="${PACKAGE.replace(/\./g, '\\.')}"\\s+Version="\\[([^\\]]+)\\]"`).exec(readFileSync(BICEP_PROJECT, 'utf8'));
  if (!match) throw new Error(`${BICEP_PROJECT} pins no exact version of ${PACKAGE}`);
  return match[1]!;
}

export function bicepExecutablePath(version = bicepVersion()): string {
  return join(repoRoot, 'tools/bicep/packages', PACKAGE.toLowerCase(), version, 'tools/bicep');
}

/** The compiler's path, restoring the NuGet package first when it is not there yet. */
export async function restoreBicep(): Promise<string> {
  const bicep = bicepExecutablePath();
  if (existsSync(bicep)) return bicep;
  try {
    await run('dotnet', ['restore', BICEP_PROJECT], { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message?: string };
    throw new Error(
      `The Bicep compiler (NuGet ${PACKAGE} ${bicepVersion()}) could not be restored with "dotnet restore ${BICEP_PROJECT}", ` +
        `so the templates were NOT compiled: ${(e.stdout ?? '').trim().split('\n').slice(-3).join(' ') || e.message}`,
    );
  }
  if (!existsSync(bicep)) throw new Error(`"dotnet restore" succeeded but ${bicep} is missing: the package layout changed`);
  return bicep;
}

export interface BicepDiagnostic {
  file: string;
  line: number;
  level: 'Error' | 'Warning' | 'Info';
  code: string;
  message: string;
}

export interface BicepRun {
  exitCode: number;
  diagnostics: BicepDiagnostic[];
  output: string;
}

// `<file>(line,col) : <Level> <code>: <message>`, the CLI's default diagnostics format.
const DIAGNOSTIC = /^(.+?)\((\d+),\d+\) : (Error|Warning|Info) ([\w-]+): (.*)$/;

/** Runs the compiler (`build`, `lint`, ...) and parses the diagnostics it prints. Never throws on a non-zero exit. */
export async function runBicep(args: string[]): Promise<BicepRun> {
  const bicep = await restoreBicep();
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  try {
    ({ stdout, stderr } = await run(bicep, args, { cwd: repoRoot, timeout: 5 * 60_000, maxBuffer: 64 * 1024 * 1024 }));
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    ({ stdout = '', stderr = '' } = e);
    exitCode = e.code;
  }
  const output = `${stdout}\n${stderr}`;
  const diagnostics = output
    .split('\n')
    .map((line) => DIAGNOSTIC.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: m[1]!, line: Number(m[2]), level: m[3] as BicepDiagnostic['level'], code: m[4]!, message: m[5]! }));
  return { exitCode, diagnostics, output };
}
