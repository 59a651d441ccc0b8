import { defineConfig } from 'vitest/config';

/**
 * Tests that run after the rest of the suite, one file at a time, on a machine with nothing else of the
 * suite running beside them: real-time browser conversations whose bounds are about quality (the
 * recogniser's word error rate through the talk page, the echo's envelope under injected loss). Beside
 * another test file on 2 cores, Chromium's capture, its encoder and the recogniser compete for CPU and
 * the measurement says more about the machine than about the gateway (17/206 words beside a quiet 14/206).
 * The 2-minute soak too: two gateway processes churning sessions, whose memory and handle slopes are
 * what it measures.
 */
export const SOLO_TESTS = ['test/talk-page-asr.test.ts', 'test/talk-page-loss.test.ts', 'test/soak.test.ts'];

export default defineConfig({
  test: {
    include: SOLO_TESTS,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
