#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the Azure Functions entry point (package.json "main",
// dist/functions/index.js) with esbuild, so a cold start reads one minified file and a few chunks instead of
// about a thousand module files (Flex Consumption cold starts count against Graph's 3-second answer).
// Modules the app imports with import() (the identity SDK, only needed for managed-identity tokens) become
// chunks under dist/functions/chunks/, loaded when first used. Everything else in dist/ stays tsc's output:
// the local host, tests and benches import those modules directly.
import { build } from 'esbuild';

await build({
  entryPoints: { index: 'functions/index.ts' },
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
