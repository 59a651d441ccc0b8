#!/usr/bin/env node
// Entry point for `npx wavegate`: runs the compiled CLI under plain node.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
    // A `serve --workers` worker: its IPC channel to the primary would keep it alive (docs/scale-out.md#workers).
    if (process.connected) process.exit(1);
  },
);
