import { defineConfig } from 'vitest/config';
import { SOLO_TESTS } from './vitest.solo.config.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Run afterwards, alone (npm test's second vitest run): see vitest.solo.config.ts.
    exclude: ['**/node_modules/**', ...SOLO_TESTS],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real sockets, real child processes and real-time pacing: keep files from starving each other on 2 cores.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
