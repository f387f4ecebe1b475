// Every template under infra/ through the official Bicep compiler: `bicep build` (types, properties and
// API versions against the Azure resource types built into the compiler) and `bicep lint` with the rules of
// infra/bicepconfig.json (every core analyzer rule at warning level). Both must report nothing at all.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bicepFiles, repoRoot } from './bicep.js';
import { BICEP_CONFIG, bicepVersion, restoreBicep, runBicep, type BicepDiagnostic } from './bicep-compiler.js';

const COMPILER_TIMEOUT = 10 * 60_000;
const work = mkdtempSync(join(tmpdir(), 'bicep-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const show = (diagnostics: BicepDiagnostic[]) => diagnostics.map((d) => `${relative(repoRoot, d.file)}:${d.line} ${d.level} ${d.code}: ${d.message}`);

beforeAll(async () => {
  await restoreBicep();
}, COMPILER_TIMEOUT);

describe(`Bicep compiler (NuGet Azure.Bicep.CommandLine.linux-x64 ${bicepVersion()})`, () => {
  it('is the pinned version', async () => {
    const { output } = await runBicep(['--version']);
    expect(output).toContain(`Bicep CLI version ${bicepVersion()} `);
  });

  it(
    'builds every template to an ARM template with no error and no warning',
    async () => {
      const outdir = join(work, 'build');
      const result = await runBicep(['build', '--pattern', 'infra/**/*.bicep', '--outdir', outdir]);
      expect(show(result.diagnostics)).toEqual([]);
      expect(result.exitCode, result.output).toBe(0);
      const built = readdirSync(outdir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
      expect(built.length).toBe(bicepFiles().length);
      const main = JSON.parse(readFileSync(join(outdir, 'main.json'), 'utf8')) as { $schema: string; resources: unknown };
      expect(main.$schema).toMatch(/deploymentTemplate\.json#$/);
      expect(Object.keys(main.resources as object).length).toBeGreaterThan(3);
    },
    COMPILER_TIMEOUT,
  );

  it(
    'lints every template with no diagnostic under infra/bicepconfig.json',
    async () => {
      const result = await runBicep(['lint', '--pattern', 'infra/**/*.bicep']);
      expect(show(result.diagnostics)).toEqual([]);
      expect(result.exitCode, result.output).toBe(0);
    },
    COMPILER_TIMEOUT,
  );

  it('turns every analyzer rule on (warning or error), none off', () => {
    const config = JSON.parse(readFileSync(BICEP_CONFIG, 'utf8')) as { analyzers: { core: { enabled: boolean; rules: Record<string, { level: string }> } } };
    expect(config.analyzers.core.enabled).toBe(true);
    const rules = Object.entries(config.analyzers.core.rules);
    expect(rules.length).toBeGreaterThanOrEqual(50);
    for (const [name, rule] of rules) expect(['warning', 'error'], name).toContain(rule.level);
  });

  it(
    'the checks can fail: a wrong property, an unknown API version and an unused parameter are all reported',
    async () => {
      const dir = join(work, 'broken');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'broken.bicep');
      writeFileSync(
        file,
        [
          "@description('Unused on purpose.')",
          'param unused string',
          '',
          "resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {",
          "  name: 'kv-broken'",
          '  location: resourceGroup().location',
          '  properties: {',
          "    tenantId: subscription().tenantId",
          "    sku: { family: 'A', name: 'standard' }",
          '    enableRbacAuthorisation: true',
          '  }',
          '}',
          '',
          "resource site 'Microsoft.Web/sites@2019-13-45' = {",
          "  name: 'func-broken'",
          '  location: resourceGroup().location',
          '}',
          '',
        ].join('\n'),
      );
      const built = await runBicep(['build', file, '--stdout']);
      const linted = await runBicep(['lint', file, '--config', BICEP_CONFIG]);
      const codes = new Set([...built.diagnostics, ...linted.diagnostics].map((d) => d.code));
      // enableRbacAuthorisation: not a property of the type (BCP089 when the compiler can suggest the right one).
      expect([...codes].filter((c) => c === 'BCP037' || c === 'BCP089'), [...codes].join(' ')).not.toEqual([]);
      expect(codes).toContain('BCP081'); // Microsoft.Web/sites@2019-13-45: no such API version
      expect(codes).toContain('no-unused-params');
    },
    COMPILER_TIMEOUT,
  );
});
