#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the Azure Functions entry point (package.json "main",
// dist/functions/index.js) with esbuild, so a cold start reads a few minified files instead of about a thousand
// module files (Flex Consumption cold starts count against Graph's 3-second answer).
// The host registers every function while it imports the entry point, before it serves anything; registering
// takes only names, routes, schedules and queues. So the entry holds just those (read here from tsc's output of
// functions/definitions.ts) and registers each function with a handler that imports the function's own file on
// its first invocation (shared/runtime/lazy-definitions.ts). Each function file, and whatever it shares with
// others, becomes a chunk under dist/functions/chunks/, as do the SDKs the app imports with import().
// Everything else in dist/ stays tsc's output: the local host, tests and benches import those modules directly.
import { readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const compiled = new URL('../dist/', import.meta.url);
const { definitions } = await import(new URL('functions/definitions.js', compiled).href);
const { definitionsExportedBy, registrationOf } = await import(new URL('shared/runtime/lazy-definitions.js', compiled).href);

/** Which function file defines each function. */
const fileOf = new Map();
for (const file of readdirSync(new URL('../functions/', import.meta.url)).filter((f) => f.endsWith('.ts') && !['index.ts', 'definitions.ts'].includes(f))) {
  const module = await import(new URL(`functions/${file.replace(/\.ts$/, '.js')}`, compiled).href);
  for (const name of definitionsExportedBy(module).keys()) fileOf.set(name, file.replace(/\.ts$/, '.js'));
}

const registrations = definitions.map((definition) => {
  const file = fileOf.get(definition.name);
  if (!file) throw new Error(`bundle-functions: no file in functions/ exports the function ${definition.name}`);
  return `  { ...${JSON.stringify(registrationOf(definition))}, load: () => import(${JSON.stringify(`./${file}`)}) },`;
});

const entry = `// Made by scripts/bundle-functions.mjs from functions/definitions.ts.
import { lazyDefinitions } from '../shared/runtime/lazy-definitions.js';
import { startInAzure } from '../shared/runtime/start-in-azure.js';

/** Every function as registered; the cold-start bench loads their code through it. */
export const functions = lazyDefinitions([
${registrations.join('\n')}
]);

startInAzure(functions);
`;

// Chunk names carry a content hash: without this, every build would leave the previous build's chunks behind
// (and in the deployment package).
rmSync('dist/functions/chunks', { recursive: true, force: true });

await build({
  stdin: { contents: entry, resolveDir: 'functions', sourcefile: 'functions/index.bundle.ts', loader: 'ts' },
  outfile: undefined,
  entryNames: 'index',
  outdir: 'dist/functions',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Provided by the Functions worker at run time, never installed (it is how @azure/functions registers).
  external: ['@azure/functions-core'],
  // The ES module builds of two packages whose "main" (what platform 'node' picks) is CommonJS: windows-iana's
  // CommonJS entry chooses its development or production copy from NODE_ENV at run time, so a bundle of it
  // carries both; the Graph client's CommonJS build is 42 modules that are all kept and wrapped, its ES build
  // lets esbuild keep only what the app uses.
  alias: {
    'windows-iana': 'windows-iana/dist/windows-iana.esm.js',
    '@microsoft/microsoft-graph-client': '@microsoft/microsoft-graph-client/lib/es/src/index.js',
  },
  // The SDKs are CommonJS: inside an ES module bundle their require() of Node's built-ins needs a real one.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
});
