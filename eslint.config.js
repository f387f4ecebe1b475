// Flat config: typescript-eslint recommended rules over every TypeScript source, and the direction of
// dependencies: functions/ -> shared/ -> SDKs; dev/, test/, bench/ and scripts/ use the app, never the reverse.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Import paths a file may not name, as { regex, message }: checked for static imports and re-exports
 * (no-restricted-imports) and for import() (no-restricted-syntax; esquery regexes cannot hold a slash,
 * hence \x2F). Every import in these folders is relative, so the path as written says where it goes.
 */
/** Imports that climb out of the file's folder into one of `folders` at the repository's root. */
const into = (folders, message) => ({ regex: `^(\\.\\.\\x2F)+(${folders.join('|')})(\\x2F|$)`, message });
const OUTSIDE_THE_APP = into(
  ['functions', 'dev', 'test', 'bench', 'scripts'],
  'shared/ is the app: it never imports functions/, dev/, test/, bench/ or scripts/ (they use it).',
);
const LOCAL_OR_TOOLING = into(['dev', 'test', 'bench', 'scripts'], 'functions/ ships to Azure: it never imports dev/, test/, bench/ or scripts/ (they use it).');
const ANOTHER_FUNCTION = {
  regex: '^\\.\\x2F',
  message: 'A function file never imports another one: move what both need into shared/ (functions/definitions.ts is the registry).',
};
/** Behaviour wired by importing a module for its side effects depends on what happens to be loaded. */
const SIDE_EFFECT_IMPORT = {
  selector: 'ImportDeclaration[specifiers.length=0][importKind!="type"]',
  message: 'No imports for their side effects: import what you need and call it, or compose it where the services are built (shared/services.ts).',
};

/**
 * zod's `z` export is its whole namespace as one value, which a bundler keeps entire (every locale, JSON Schema
 * conversion, ...); `import * as z` lets esbuild keep only what the file uses. The bundle's import time is the
 * Functions host's cold start.
 */
const ZOD_NAMESPACE = {
  selector: "ImportDeclaration[source.value='zod'] > :matches(ImportSpecifier[imported.name='z'], ImportDefaultSpecifier)",
  message: "Write `import * as z from 'zod'`: the bundle then keeps only the parts of zod the app uses.",
};

function restrictImports(...rules) {
  return {
    'no-restricted-imports': ['error', { patterns: rules.map(({ regex, message }) => ({ regex, message })) }],
    'no-restricted-syntax': [
      'error',
      SIDE_EFFECT_IMPORT,
      ZOD_NAMESPACE,
      ...rules.map(({ regex, message }) => ({ selector: `ImportExpression[source.value=/${regex}/]`, message })),
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**', 'test-results/**', 'client/calendar-bridge-api.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error', 'info'] }],
    },
  },
  {
    files: ['scripts/**', 'dev/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  { files: ['shared/**/*.ts'], rules: restrictImports(OUTSIDE_THE_APP) },
  { files: ['functions/**/*.ts'], ignores: ['functions/definitions.ts', 'functions/index.ts'], rules: restrictImports(LOCAL_OR_TOOLING, ANOTHER_FUNCTION) },
  { files: ['functions/definitions.ts', 'functions/index.ts'], rules: restrictImports(LOCAL_OR_TOOLING) },
);
