// The API description as tools read it: `redocly lint` (recommended rules, offline) finds nothing; the
// TypeScript types generated from it (openapi-typescript) are the committed ones, and every curl example of
// the README, written as an openapi-fetch call with those types, type-checks; the README's generated tables
// are current.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { apiDocument, CLIENT_TYPES_PATH, clientTypes, readmeWithGeneratedSections } from '../../scripts/api-docs.js';

mkdirSync('test-results', { recursive: true });
// Inside the repository, so imports of openapi-fetch resolve as in a booking system's project.
const dir = mkdtempSync(join('test-results', 'openapi-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NO_NETWORK = resolve('test/openapi/no-network.mjs');

function redoclyLint(file: string, env: Record<string, string>) {
  const run = spawnSync(process.execPath, ['node_modules/@redocly/cli/bin/cli.js', 'lint', file, '--config', 'redocly.yaml', '--format=json'], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: `--import=${NO_NETWORK}`, ...env },
  });
  const json = run.stdout.slice(run.stdout.indexOf('{'));
  return { status: run.status, output: run.stdout + run.stderr, report: JSON.parse(json) as { totals: { errors: number; warnings: number }; problems: unknown[] } };
}

describe('redocly lint', () => {
  it('reports 0 errors and 0 warnings with the recommended rules, and never reaches the network', () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(apiDocument(), null, 2));
    expect(readFileSync('redocly.yaml', 'utf8')).toMatch(/^extends:\n\s+- recommended\ntelemetry: off$/m);
    const lint = redoclyLint(file, { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' });
    expect(lint.report.problems).toEqual([]);
    expect(lint.report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(lint.status).toBe(0);
    expect(lint.output).not.toContain('NETWORK ATTEMPT');
  }, 180_000);

  it('finds a broken document (the check can fail), and the offline guard sees a connection attempt', () => {
    const file = join(dir, 'broken.json');
    const doc = apiDocument() as { paths: Record<string, Record<string, { operationId?: string; responses?: unknown }>> };
    delete doc.paths['/api/bookings']!.post!.operationId;
    doc.paths['/api/bookings']!.post!.responses = { 200: { description: 'OK' } };
    writeFileSync(file, JSON.stringify(doc));
    const lint = redoclyLint(file, { REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' });
    expect(lint.report.totals.warnings + lint.report.totals.errors).toBeGreaterThanOrEqual(2);
    const probe = spawnSync(process.execPath, ['--import', NO_NETWORK, '-e', "fetch('http://127.0.0.1:8/').catch(() => undefined)"], { encoding: 'utf8' });
    expect(probe.stderr).toContain('NETWORK ATTEMPT');
  }, 180_000);
});

describe('generated artefacts', () => {
  it(`${CLIENT_TYPES_PATH} is what openapi-typescript generates from the document now (npm run docs)`, async () => {
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(await clientTypes());
  });

  it("the README's tables of webhook events and error codes are current (npm run docs)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toBe(readmeWithGeneratedSections(readme));
    for (const code of ['connection_not_active', 'connection_needs_reauth', 'consent_missing']) expect(readme).toContain(`\`${code}\``);
    for (const field of ['connectUrlExpiresAt', 'missingScopes']) expect(readme).toContain(`\`${field}\``);
  });
});

interface CurlExample {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

/** Every curl call in the README's sh blocks: method, /api path, query and JSON body (shell variables filled in). */
function readmeCurlExamples(readme: string): CurlExample[] {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n/g, ' '));
  const examples: CurlExample[] = [];
  for (const block of blocks) {
    // A command goes on while a quote is open (bodies span lines).
    const commands: string[] = [];
    for (const line of block.split('\n')) {
      const last = commands.at(-1);
      if (last !== undefined && (last.match(/'/g) ?? []).length % 2 === 1) commands[commands.length - 1] = `${last}\n${line}`;
      else commands.push(line);
    }
    for (const line of commands.filter((l) => /^\s*curl\b/.test(l))) {
      const filled = line.replace(/'\$([A-Z_]+)'/g, 'sample-$1').replace(/\$(ID|CONNECTION|ANN|BOB)\b/g, 'sample-$1');
      const url = new URL(/\$BASE(\/api\/[^\s"]+)/.exec(filled)![1]!, 'http://bridge.example');
      const method = /-s?X\s+([A-Z]+)/.exec(filled)?.[1] ?? 'GET';
      const data = /-d\s+'([^']*)'/.exec(filled)?.[1];
      examples.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body: data === undefined ? undefined : JSON.parse(data) });
    }
  }
  return examples;
}

/** The document's path template a concrete path matches, and the path parameters' values. */
function templateOf(path: string, templates: string[]): { template: string; params: Record<string, string> } {
  for (const template of templates) {
    const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const match = new RegExp(`^${template.replace(/\{\w+\}/g, '([^/]+)')}$`).exec(path);
    if (match) return { template, params: Object.fromEntries(names.map((n, i) => [n, match[i + 1]!])) };
  }
  throw new Error(`the README calls ${path}, which the document does not describe`);
}

function openapiFetchCall(example: CurlExample, templates: string[]): string {
  const { template, params } = templateOf(example.path, templates);
  const init: string[] = [];
  const paramParts = [
    Object.keys(params).length ? `path: ${JSON.stringify(params)}` : '',
    Object.keys(example.query).length ? `query: ${JSON.stringify(example.query)}` : '',
  ].filter(Boolean);
  if (paramParts.length) init.push(`params: { ${paramParts.join(', ')} }`);
  if (example.body !== undefined) init.push(`body: ${JSON.stringify(example.body)}`);
  return `api.${example.method}(${JSON.stringify(template)}, { ${init.join(', ')} })`;
}

function typeErrors(source: string, name: string): string[] {
  const file = resolve(dir, `${name}.ts`);
  writeFileSync(file, source);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe("the README's request examples against the generated client", () => {
  const examples = readmeCurlExamples(readFileSync('README.md', 'utf8'));
  const templates = Object.keys(apiDocument().paths as object);
  const header = [
    `import createClient from 'openapi-fetch';`,
    `import type { paths } from '${resolve(CLIENT_TYPES_PATH).replace(/\.d\.ts$/, '.js')}';`,
    `const api = createClient<paths>({ baseUrl: 'http://127.0.0.1:7071', headers: { Authorization: 'Bearer cb_live_x' } });`,
  ].join('\n');

  it('finds the curl examples of the connect, booking, busy and availability sections', () => {
    const calls = examples.map((e) => `${e.method} ${templateOf(e.path, templates).template}`);
    expect(calls).toEqual(
      expect.arrayContaining(['POST /api/connect-links', 'PATCH /api/connections/{id}', 'POST /api/bookings', 'PATCH /api/bookings/{bookingId}', 'DELETE /api/bookings/{bookingId}', 'POST /api/availability', 'GET /api/connections/{id}/busy']),
    );
    expect(examples.filter((e) => e.body !== undefined).length).toBeGreaterThanOrEqual(6);
  });

  it("type-checks the README's own openapi-fetch snippet", () => {
    const snippet = /```ts\n([\s\S]*?)```/.exec(readFileSync('README.md', 'utf8'))![1]!;
    const types = resolve(CLIENT_TYPES_PATH).replace(/\.d\.ts$/, '.js');
    const source = `declare const BASE: string;\ndeclare const KEY: string;\n${snippet.replace("'./calendar-bridge-api.js'", `'${types}'`)}\nexport { data, error };\n`;
    expect(source).toContain(types);
    expect(typeErrors(source, 'readme-snippet')).toEqual([]);
  }, 60_000);

  it('type-checks every one of them as an openapi-fetch call, and refuses a field the API does not know', () => {
    const calls = examples.map((e, i) => `export const call${i} = () => ${openapiFetchCall(e, templates)};`);
    expect(typeErrors(`${header}\n${calls.join('\n')}\n`, 'readme-examples')).toEqual([]);
    const wrong = { ...examples.find((e) => e.method === 'POST' && e.path === '/api/bookings')!, body: { bookingId: 'b', colour: 'red' } };
    expect(typeErrors(`${header}\nexport const wrong = () => ${openapiFetchCall(wrong, templates)};\n`, 'wrong-example').join('\n')).toMatch(/colour|connectionId|subject/);
  }, 60_000);
});
