// The lint rules that keep dependencies pointing one way (eslint.config.js): the project's own ESLint
// configuration lints small sources placed at paths in the tree, and must refuse exactly the wrong directions.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

/** The messages of the import rules for `code` as if it were the file at `filePath`. */
async function importProblems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const rules = new Set(['no-restricted-imports', 'no-restricted-syntax']);
  return result!.messages.filter((m) => m.ruleId && rules.has(m.ruleId)).map((m) => m.message);
}

describe('dependency direction', () => {
  it.each([
    ['shared/connect/example.ts', "import { definitions } from '../../functions/definitions.js';\nexport const n = definitions.length;\n", /shared\/ is the app/],
    ['shared/example.ts', "import { startLocalHost } from '../dev/host/index.js';\nexport const f = startLocalHost;\n", /shared\/ is the app/],
    ['shared/sync/example.ts', "export { startAppHost } from '../../test/support/app-host.js';\n", /shared\/ is the app/],
    ['shared/sync/example.ts', "import type { X } from '../../bench/fixtures.js';\nexport type Y = X;\n", /shared\/ is the app/],
    ['shared/store/example.ts', "export const load = () => import('../../scripts/docs.js');\n", /shared\/ is the app/],
    ['functions/example.ts', "import { healthFunction } from './health.js';\nexport const h = healthFunction;\n", /never imports another one/],
    ['functions/example.ts', "export const load = () => import('./health.js');\n", /never imports another one/],
    ['functions/example.ts', "import { startSimulator } from '../dev/simulator/server.js';\nexport const s = startSimulator;\n", /ships to Azure/],
    ['functions/definitions.ts', "import { json } from '../test/support/connect-user.js';\nexport const j = json;\n", /ships to Azure/],
    ['shared/keepalive/example.ts', "import './token-keep-alive.js';\n", /No imports for their side effects/],
    ['functions/example.ts', "import '../shared/sync/calendar-sync.js';\n", /No imports for their side effects/],
  ])('refuses case %# in %s', async (filePath, code, message) => {
    const problems = await importProblems(filePath, code);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each([
    ['shared/connect/example.ts', "import { disconnect } from './disconnect.js';\nimport { getServices } from '../services.js';\nexport const d = [disconnect, getServices];\n"],
    ['functions/example.ts', "import { getServices } from '../shared/services.js';\nexport const g = getServices;\n"],
    ['functions/definitions.ts', "import { healthFunction } from './health.js';\nexport const definitions = [healthFunction];\n"],
    ['dev/host/example.ts', "import { definitions } from '../../functions/definitions.js';\nimport { getServices } from '../../shared/services.js';\nexport const x = [definitions, getServices];\n"],
    ['test/example.test.ts', "import { healthFunction } from '../functions/health.js';\nimport { startSimulator } from '../dev/simulator/server.js';\nexport const x = [healthFunction, startSimulator];\n"],
    ['scripts/example.ts', "import { definitions } from '../functions/definitions.js';\nimport '../shared/services.js';\nexport const x = definitions;\n"],
  ])('allows case %# in %s', async (filePath, code) => {
    expect(await importProblems(filePath, code)).toEqual([]);
  });

  it('finds nothing to refuse in the tree as it is', async () => {
    const results = await eslint.lintFiles(['shared', 'functions']);
    const problems = results.flatMap((r) =>
      r.messages.filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax').map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    expect(problems).toEqual([]);
  });
});
