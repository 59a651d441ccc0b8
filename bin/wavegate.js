#!/usr/bin/env -S node --min-semi-space-size=16
// Entry point for `npx wavegate`: runs the compiled CLI under plain node.
// V8 is tuned before anything else is loaded (docs/performance.md, "Heap tuning", "Young generation"):
// the first line carries the flags V8 reads only at start (LAUNCH_FLAGS in src/cli/heap-tuning.ts),
// and tuneHeapForMedia() sets the one it also takes at run time.
import { tuneHeapForMedia } from '../dist/src/cli/heap-tuning.js';

tuneHeapForMedia();
const { main } = await import('../dist/src/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
    // A `serve --workers` worker: its IPC channel to the primary would keep it alive (docs/scale-out.md#workers).
    if (process.connected) process.exit(1);
  },
);
