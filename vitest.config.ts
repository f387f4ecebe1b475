import { defineConfig } from 'vitest/config';

// Two tiers. `unit`: test/unit/, tests that need neither Azurite nor the Microsoft 365 simulator (no global
// set-up; `npm run test:unit` runs only these, in seconds). `integration`: everything else, against the
// run's Azurite and simulator, which the global set-up starts once.
const UNIT = 'test/unit/**/*.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: [UNIT] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [UNIT],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/worker-setup.ts'],
        },
      },
    ],
  },
});
