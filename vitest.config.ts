import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['shared/test/**/*.test.ts', 'action-*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/fixtures/**'],
    // End-to-end tests start real Django, PostgreSQL and sshd; they are slow but never timed.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Once per run: a private PostgreSQL cluster and the run directory (test/support/global-setup.ts).
    globalSetup: ['test/support/global-setup.ts'],
  },
})
