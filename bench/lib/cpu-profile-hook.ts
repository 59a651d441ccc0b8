/**
 * Preload that CPU-profiles the servers of `bench:load` (NODE_OPTIONS refuses `--cpu-prof`, and the
 * load runner starts the servers itself). Only the gateway's CLI (`wavegate.js`) is profiled, and the
 * bare relay (`baseline-relay.js`) too when `WAVEGATE_PROFILE_RELAY=1`; the runner is left alone. The
 * profile (1 ms sampling) is written to `$WAVEGATE_PROFILE_DIR/<gateway|relay>-PID.cpuprofile` when the
 * process exits (the runner stops the servers with SIGTERM, and they then exit normally).
 * `WAVEGATE_PROFILE_DELAY_MS` starts the profiler that long after start-up, so module loading stays out.
 *
 *   WAVEGATE_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import ./dist/bench/lib/cpu-profile-hook.js" \
 *     node dist/bench/load/run-load.js --targets gateway --variants mulaw-json --steps 50 --idle 0
 *   node dist/bench/lib/cpu-profile-summary.js /tmp/prof/gateway-*.cpuprofile
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const script = process.argv[1] ?? '';
const name = script.endsWith('wavegate.js') ? 'gateway' : script.endsWith('baseline-relay.js') && process.env.WAVEGATE_PROFILE_RELAY === '1' ? 'relay' : undefined;
if (name !== undefined) {
  const dir = process.env.WAVEGATE_PROFILE_DIR ?? '.';
  const delayMs = Number(process.env.WAVEGATE_PROFILE_DELAY_MS ?? 0);
  const session = new Session();
  session.connect();
  let started = false;
  const start = (): void => {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
    session.post('Profiler.start');
    started = true;
  };
  if (delayMs > 0) setTimeout(start, delayMs).unref();
  else start();
  process.on('exit', () => {
    if (!started) return;
    // An in-process inspector session answers synchronously, so this runs before the process ends.
    session.post('Profiler.stop', (err, result) => {
      if (err === null) writeFileSync(`${dir}/${name}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
