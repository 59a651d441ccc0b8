import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets, real child processes and real-time pacing: keep files from starving each other on 2 cores.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
