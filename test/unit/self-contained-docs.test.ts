// Comments and docs stand on their own: no tracked file sends a reader to a document that is not in the
// repository (a sibling folder like ../shared/, a "name.md §3" whose name.md is not tracked, a numbered issue
// of the project's tracker), and every relative Markdown link points at a tracked file.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEXT = /\.(ts|mts|mjs|js|json|md|bicep|yaml|yml|html|css)$/;
const THIS_FILE = 'test/unit/self-contained-docs.test.ts';

const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0')
  .filter((path) => path !== '' && !/(^|\/)(node_modules|dist)\//.test(path));
const trackedSet = new Set(tracked);
const trackedNames = new Set(tracked.map((path) => basename(path)));
const trackedDirs = new Set(tracked.flatMap((path) => parentDirs(path)));
const texts = tracked
  .filter((path) => TEXT.test(path) && path !== THIS_FILE && path !== 'package-lock.json')
  .map((path) => ({ path, lines: readFileSync(path, 'utf8').split('\n') }));

function parentDirs(path: string): string[] {
  const dirs: string[] = [];
  for (let dir = dirname(path); dir !== '.'; dir = dirname(dir)) dirs.push(dir);
  return dirs;
}

/** Every line of every tracked text file matching `pattern`, as "path:line: text". */
function linesMatching(pattern: RegExp, keep: (match: RegExpExecArray, path: string) => boolean = () => true): string[] {
  const found: string[] = [];
  for (const { path, lines } of texts) {
    lines.forEach((line, index) => {
      for (const match of line.matchAll(new RegExp(pattern, 'g'))) {
        if (keep(match, path)) found.push(`${path}:${index + 1}: ${line.trim()}`);
      }
    });
  }
  return found;
}

describe('comments and docs cite nothing outside the repository', () => {
  it('reads the tracked files (the checks below have something to check)', () => {
    expect(texts.length).toBeGreaterThan(100);
    expect(texts.some(({ path }) => path === 'README.md')).toBe(true);
  });

  it('no path into a sibling folder of the repository (../shared/..., shared/reference/...)', () => {
    // Imports of the app's own shared/ modules are in the repository; a folder beside it is not.
    const outside = linesMatching(/(\.\.\/)+shared\/(DESIGN|reference)\b|(^|[^\w./-])shared\/reference\//);
    expect(outside).toEqual([]);
  });

  it('no "name.md §n" whose name.md is not a tracked file', () => {
    const missing = linesMatching(/([\w./-]+\.md)\s*§/, (match) => !trackedNames.has(basename(match[1]!)));
    expect(missing).toEqual([]);
  });

  it('no section sign without a document to look it up in', () => {
    // "§" follows a tracked .md (checked above) or a public standard ("RFC 5545 §3.1"): a bare "§4" names
    // no document, and usually meant one outside the repository.
    const bare = linesMatching(/§/, (match) => !/([\w./-]+\.md|RFC \d+)\s*$/.test(match.input!.slice(0, match.index)));
    expect(bare).toEqual([]);
  });

  it('no numbered issue of the project tracker ("issue 6 point 5"), which a reader of the code cannot open', () => {
    const issues = linesMatching(/\b[Ii]ssues? #?\d+\b/);
    expect(issues).toEqual([]);
  });

  it('every relative Markdown link resolves to a tracked file or folder inside the repository', () => {
    const broken = linesMatching(/\]\(([^)\s]+)\)/, (match, path) => {
      if (!path.endsWith('.md')) return false;
      const target = match[1]!.split('#')[0]!;
      if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target)) return false;
      const resolved = normalize(join(dirname(path), decodeURIComponent(target))).replace(/\/$/, '');
      return resolved.startsWith('..') || !(trackedSet.has(resolved) || trackedDirs.has(resolved));
    });
    expect(broken).toEqual([]);
  });
});
