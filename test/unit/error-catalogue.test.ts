// The error catalogue is the one list of codes: every code in it is answered somewhere (no dead entries),
// the API operations list exactly the codes the catalogue says the API answers, and the app's source names
// no code the catalogue lacks. (A code AppError, problem() or errorPage() is given must be a ProblemCode,
// so the compiler refuses an uncatalogued one; this test also catches a code spelled as a plain string.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitions } from '../../functions/definitions.js';
import { AppError } from '../../shared/errors/app-error.js';
import { audiencesOf, PROBLEM_CODES, type ProblemCode } from '../../shared/errors/catalogue.js';
import { problem } from '../../shared/http/problem.js';
import { apiOperations, operationProblems } from '../../shared/openapi/document.js';

const CODES = Object.keys(PROBLEM_CODES) as ProblemCode[];

/** Files that list codes rather than answer with them. */
const LISTS = new Set(['shared/errors/catalogue.ts', 'shared/openapi/document.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name).replace(/\\/g, '/'));
}

const appSources = ['shared', 'functions', 'dev']
  .flatMap(sourceFiles)
  .filter((f) => !LISTS.has(f) && !f.startsWith('dev/simulator/'))
  .map((path) => ({ path, text: withoutProblemLists(readFileSync(path, 'utf8')) }));

/** A route's declared `problems: [...]` lists codes it may answer; listing one does not answer it. */
function withoutProblemLists(text: string): string {
  return text.replace(/problems: \[[^\]]*\]/g, '');
}

describe('error catalogue', () => {
  it('gives each code a status, a title and a one-line meaning', () => {
    for (const code of CODES) {
      const { status, title, meaning } = PROBLEM_CODES[code];
      expect(status >= 400 && status < 600, code).toBe(true);
      expect(title.length, code).toBeGreaterThan(0);
      expect(meaning, code).not.toMatch(/\n/);
    }
  });

  it('has every code answered by some code of the app (no dead entries)', () => {
    const unused = CODES.filter((code) => !appSources.some((f) => f.text.includes(`'${code}'`)));
    expect(unused).toEqual([]);
  });

  it('lists under the API operations exactly the codes it says the API answers', () => {
    const listed = new Set(apiOperations(definitions).flatMap((op) => operationProblems(op)));
    const api = CODES.filter((code) => audiencesOf(code).includes('api'));
    expect([...listed].sort()).toEqual(api.sort());
  });

  it('leaves to storage only the codes its errors carry', () => {
    const store = appSources.filter((f) => f.path.startsWith('shared/store/'));
    for (const code of CODES.filter((c) => audiencesOf(c).includes('storage'))) expect(store.some((f) => f.text.includes(`'${code}'`)), code).toBe(true);
  });

  it('knows every code the app passes to AppError, problem() or errorPage()', () => {
    const named = new Set<string>();
    const site = /\b(?:new AppError|super|problem|errorPage|page)\(\s*'([a-z0-9_]+)'/g;
    for (const { text } of appSources) for (const match of text.matchAll(site)) named.add(match[1]!);
    expect(named.size).toBeGreaterThan(30);
    expect([...named].filter((code) => !(code in PROBLEM_CODES))).toEqual([]);
  });

  it('takes the status from the catalogue, for thrown errors and for answers alike', () => {
    for (const code of CODES) {
      expect(new AppError(code, 'x').status, code).toBe(PROBLEM_CODES[code].status);
      const answer = problem(code, 'x', { field: 'f' });
      expect(answer.status, code).toBe(PROBLEM_CODES[code].status);
      expect(JSON.parse(String(answer.body)), code).toMatchObject({ status: PROBLEM_CODES[code].status, title: PROBLEM_CODES[code].title, code, field: 'f' });
    }
  });
});
