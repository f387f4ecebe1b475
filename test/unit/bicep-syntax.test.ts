// Every Bicep file under infra/ parses with the tree-sitter Bicep grammar, with no ERROR or MISSING
// node. A fast syntax check that runs even where the Bicep compiler cannot be restored; bicep-compiler.test.ts
// compiles and lints the same files with the official compiler.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Parser } from 'web-tree-sitter';
import { beforeAll, describe, expect, it } from 'vitest';
import { bicepFiles, bicepParser, parse, readBicepFile, repoRoot, syntaxProblems } from '../infra/bicep.js';

let parser: Parser;
beforeAll(async () => {
  parser = await bicepParser();
});

const files = bicepFiles();

describe('Bicep syntax (tree-sitter)', () => {
  it('finds main.bicep and its modules', () => {
    expect(files).toContain('infra/main.bicep');
    expect(files.filter((f) => f.startsWith('infra/modules/')).length).toBeGreaterThanOrEqual(4);
  });

  it.each(files)('%s parses with no ERROR or MISSING node', (file) => {
    const root = parse(parser, readFileSync(join(repoRoot, file), 'utf8'));
    expect(syntaxProblems(root)).toEqual([]);
    expect(root.type).toBe('infrastructure');
    expect(root.namedChildCount).toBeGreaterThan(0);
  });

  const broken: [string, string][] = [
    ['an unclosed object', "resource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: 'x'\n"],
    ['a parameter without a type', "param location = 'westeurope'\n"],
    ['a doubled quote instead of an escape', "var s = 'it''s'\n"],
    ['a stray token', "output o string = 'a' 'b' }\n"],
  ];

  it.each(broken)('flags %s', (_label, source) => {
    expect(syntaxProblems(parse(parser, source)).length).toBeGreaterThan(0);
  });

  it('passes the same snippets once they are fixed (the check is not just noisy)', () => {
    const fixed = [
      "resource r 'Microsoft.Web/sites@2024-04-01' = {\n  name: 'x'\n}\n",
      "param location string = 'westeurope'\n",
      "var s = 'it\\'s'\n",
      "output o string = 'a'\n",
    ];
    for (const source of fixed) expect(syntaxProblems(parse(parser, source))).toEqual([]);
  });

  it('uses only local modules (no registry module: nothing may download at build time)', () => {
    for (const file of files) {
      for (const m of readBicepFile(parser, file).modules) {
        expect(m.path, `${file} module ${m.symbol}`).not.toMatch(/^(br|ts)[:/]/);
        expect(existsSync(join(repoRoot, dirname(file), m.path)), `${file} -> ${m.path}`).toBe(true);
      }
    }
  });
});
