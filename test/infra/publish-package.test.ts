// The deployment package: docs/deploy.md zips it by hand, `func azure functionapp publish` builds it from the
// project folder minus .funcignore. Both must give the same files: the compiled app (functions/, shared/),
// host.json, package.json and the production node_modules, and no dev/, bench/ or test/ code.
// https://learn.microsoft.com/azure/azure-functions/typescript-build-options (package requirements)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ignore } from 'ignore';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

/** What the project folder holds after `npm ci && npm run build && npm prune --omit=dev`, as relative paths. */
function projectFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const config = ts.getParsedCommandLineOfConfigFile('tsconfig.build.json', {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const compiled = config.fileNames.flatMap((file) => ts.getOutputFileNames(config, file, false));
  const cwd = `${process.cwd()}/`;
  const dist = compiled.map((file) => file.replace(cwd, ''));
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  const modules = Object.keys(pkg.dependencies).flatMap((name) => [`node_modules/${name}/package.json`, `node_modules/${name}/test/fixture.js`]);
  const localState = ['.data/secrets.json', 'local.settings.json', 'node_modules/.cache/x/y.json', 'test-results/console.png', '.vscode/settings.json'];
  return [...new Set([...tracked, ...dist, ...modules, ...localState])].sort();
}

/** The files .funcignore lets through (Core Tools reads it with gitignore syntax). */
function funcPublishList(files: string[]): string[] {
  return ignore().add(readFileSync('.funcignore', 'utf8')).filter(files);
}

/** The files docs/deploy.md's `zip -qr app.zip <paths> -x <patterns>` line packs (zip wildcards: * spans "/"). */
function zipList(files: string[]): string[] {
  const line = readFileSync('docs/deploy.md', 'utf8').split('\n').find((l) => /\bzip -qr app\.zip\b/.test(l));
  if (!line) throw new Error('docs/deploy.md has no "zip -qr app.zip" line');
  const [included, excluded = ''] = line.replace(/^.*zip -qr app\.zip\s+/, '').split(/\s+-x\s+/);
  const roots = included!.trim().split(/\s+/);
  const patterns = [...excluded.matchAll(/'([^']+)'/g)].map((m) => new RegExp(`^${m[1]!.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return files.filter((f) => roots.some((root) => f === root || f.startsWith(`${root}/`)) && !patterns.some((p) => p.test(f)));
}

// ignore is CommonJS whose types declare an ES default export; require gives the function itself.
const ignore = createRequire(import.meta.url)('ignore') as () => Ignore;

let files: string[];
beforeAll(() => {
  files = projectFiles();
});

describe('deployment package', () => {
  it('is the same whether zipped as docs/deploy.md says or published by Core Tools', () => {
    expect(funcPublishList(files)).toEqual(zipList(files));
  });

  it('holds the entry point, host.json, package.json and the production dependencies', () => {
    const published = funcPublishList(files);
    const main = (JSON.parse(readFileSync('package.json', 'utf8')) as { main: string }).main;
    expect(published).toContain(main);
    expect(published).toContain('host.json');
    expect(published).toContain('package.json');
    expect(published).toContain('node_modules/@azure/functions/package.json');
    // Folders named like ours inside a dependency are that dependency's own files.
    expect(published).toContain('node_modules/@azure/functions/test/fixture.js');
    expect(published.filter((f) => f.startsWith('dist/shared/')).length).toBeGreaterThan(50);
  });

  it('holds no dev/, bench/ or test/ code, no sources, maps, settings or local data', () => {
    const published = funcPublishList(files);
    const outside = published.filter((f) => !/^(host\.json|package\.json|dist\/(functions|shared)\/.+\.js|node_modules\/.+)$/.test(f));
    expect(outside).toEqual([]);
    expect(published.filter((f) => /^(dist\/)?(dev|bench|test|scripts)\//.test(f) || f.endsWith('.map'))).toEqual([]);
    expect(files.some((f) => f.startsWith('dist/dev/'))).toBe(true); // the build does compile dev/: the exclusion matters
  });

  it('bundles the entry point from functions/ and shared/ alone: the console and the simulated transports (dev/) are not in it', async () => {
    const { build } = await import('esbuild');
    const result = await build({ entryPoints: ['functions/index.ts'], bundle: true, write: false, metafile: true, format: 'esm', platform: 'node', splitting: true, outdir: 'out', external: ['@azure/functions-core'], logLevel: 'silent' });
    const ours = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/'));
    expect(ours.filter((f) => !/^(functions|shared)\//.test(f))).toEqual([]);
    expect(ours).toContain('shared/transports.ts');
  });
});
