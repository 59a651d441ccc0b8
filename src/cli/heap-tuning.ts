import v8 from 'node:v8';

/**
 * The V8 setting a gateway process runs with (docs/performance.md, "Heap tuning"): no allocation-site
 * pretenuring. V8 watches where objects are allocated, and a site whose objects survive young-generation
 * collections is switched to allocate straight into the old generation. Opening many sessions at once
 * makes a few per-frame sites look long-lived; once switched, their frame-lived objects fill the old
 * generation and every young cycle ends in a full mark-compact (about one every 300 ms at 300 sessions,
 * ~25 % of the gateway's CPU). Whether it happened depended on the timing of a run.
 */
export const HEAP_FLAG = '--no-allocation-site-pretenuring';

/**
 * The V8 settings that only take effect on node's command line, so `bin/wavegate.js` carries them in
 * its `#!/usr/bin/env -S node …` line (docs/performance.md, "Young generation"): a young generation
 * pinned at 16 MiB per semi-space. V8 starts it at 1 MiB, shrinks it back whenever allocation is slow
 * (a quiet minute, a handful of sessions), and grows it only as objects survive, which a media path's
 * frame-lived objects never do. So a gateway that got busy after a quiet spell collected every ~1 MiB:
 * at 50 μ-law sessions a scavenge every 90–180 ms, ~2 % of its CPU, where 16 MiB took 0.3–0.7 %.
 */
export const LAUNCH_FLAGS: readonly string[] = ['--min-semi-space-size=16'];

const GIVEN = /^--(no-)?allocation[-_]site[-_]pretenuring$/;

/**
 * Applies {@link HEAP_FLAG} unless the process was started with its own choice (on the command line or
 * in `NODE_OPTIONS`). Returns whether it applied it. `bin/wavegate.js` calls it before it loads the CLI; an
 * application embedding the gateway may call it at start-up, or start node with the flag.
 */
export function tuneHeapForMedia(execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => GIVEN.test(arg))) return false;
  v8.setFlagsFromString(HEAP_FLAG);
  return true;
}
