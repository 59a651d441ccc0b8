/**
 * Acceptance (docs/scale-out.md#workers): call signaling (`WS /ws/call/`) on `serve --workers 2` without
 * Redis behaves as one gateway. Every protocol case runs against the box's one port; node:cluster hands
 * consecutive connections to alternate workers, so the two users of a case sit on different workers and
 * their presence (one name per box) and calls go through the primary.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startServe, type CliProcess } from './support/cli-process.js';
import { protocolCases } from './signaling-protocol-cases.js';

describe('WS /ws/call/ on serve --workers 2 (no Redis)', () => {
  let box: CliProcess;
  beforeAll(async () => {
    box = await startServe(['--workers', '2']);
  }, 30_000);
  afterAll(async () => {
    if (box && box.child.exitCode === null) {
      box.child.kill('SIGTERM');
      await box.exited;
    }
  });
  protocolCases({ a: () => box.url, b: () => box.url });
});
