/**
 * Preload that CPU-profiles the gateway process of `bench:load` (NODE_OPTIONS refuses `--cpu-prof`,
 * and the load runner starts the server itself). Only a process whose script is `wavegate.js` (the
 * CLI) is profiled; the runner and the relay are left alone. The profile (1 ms sampling) is written
 * to `$WAVEGATE_PROFILE_DIR/gateway-PID.cpuprofile` when the process exits (the runner stops the
 * server with SIGTERM, and the CLI then exits normally).
 *
 *   WAVEGATE_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import ./dist/bench/lib/cpu-profile-hook.js" \
 *     node dist/bench/load/run-load.js --targets gateway --variants mulaw-json --steps 50 --idle 0
 *   node dist/bench/lib/cpu-profile-summary.js /tmp/prof/gateway-*.cpuprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

if ((process.argv[1] ?? '').endsWith('wavegate.js')) {
  const dir = process.env.WAVEGATE_PROFILE_DIR ?? '.';
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // An in-process inspector session answers synchronously, so this runs before the process ends.
    session.post('Profiler.stop', (err, result) => {
      if (err === null) writeFileSync(`${dir}/gateway-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
