import { defineConfig } from 'vitest/config';

// Tests spawn real child processes with real sockets; a 2-core CI machine needs room. The rollout
// lab (real proxies probing readiness every second with a 500 ms timeout) runs last and alone:
// next to CPU-heavy tests its probes time out and the proxies answer 502 for reasons of their own.
const shared = { pool: 'forks' as const, maxWorkers: 2, testTimeout: 60_000, hookTimeout: 60_000 };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...shared, name: 'suite', include: ['test/**/*.test.ts'], exclude: ['test/lab.test.ts'], sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'lab', include: ['test/lab.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
