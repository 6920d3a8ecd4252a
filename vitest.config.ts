import { defineConfig } from 'vitest/config';

// Tests spawn real child processes with real sockets; a 2-core CI machine needs room.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
