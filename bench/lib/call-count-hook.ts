/**
 * Preload that counts, in the servers of `bench:load`, the calls a frame costs beside the media path:
 * socket writes (`net.Socket` `_write`/`_writev`), `ws` sends, timers and ticks scheduled, and Buffers
 * made. Divided by the WebSocket messages sent, that is "per echoed frame" (profile-dataplane3.md).
 * Like cpu-profile-hook.ts it only acts in `wavegate.js` and `baseline-relay.js`; the counts go to
 * `$WAVEGATE_PROFILE_DIR/<gateway|relay>-PID.counts.json` at exit.
 *
 *   WAVEGATE_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import ./dist/bench/lib/call-count-hook.js" \
 *     node dist/bench/load/run-load.js --variants mulaw-json --steps 50 --idle 0
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import ws from 'ws';

const script = process.argv[1] ?? '';
const name = script.endsWith('wavegate.js') ? 'gateway' : script.endsWith('baseline-relay.js') ? 'relay' : undefined;
if (name !== undefined) {
  const counts: Record<string, number> = {};
  const wrap = <T extends object>(owner: T, key: string, label: string): void => {
    const target = owner as Record<string, unknown>;
    const original = target[key] as (...args: unknown[]) => unknown;
    counts[label] = 0;
    target[key] = function (this: unknown, ...args: unknown[]) {
      counts[label]!++;
      return original.apply(this, args);
    };
  };
  const socket = net.Socket.prototype as unknown as Record<string, unknown>;
  wrap(socket, '_write', 'socket._write');
  wrap(socket, '_writev', 'socket._writev');
  wrap(socket, 'cork', 'socket.cork');
  wrap(ws.prototype, 'send', 'ws.send');
  wrap(ws.prototype, 'emit', 'ws.emit');
  wrap(globalThis, 'setTimeout', 'setTimeout');
  wrap(globalThis, 'setImmediate', 'setImmediate');
  wrap(globalThis, 'queueMicrotask', 'queueMicrotask');
  wrap(process, 'nextTick', 'process.nextTick');
  wrap(Buffer, 'allocUnsafe', 'Buffer.allocUnsafe');
  wrap(Buffer, 'from', 'Buffer.from');
  wrap(Buffer, 'concat', 'Buffer.concat');
  wrap(Buffer.prototype, 'toString', 'buffer.toString');
  wrap(Buffer.prototype, 'slice', 'buffer.slice');
  wrap(Buffer.prototype, 'subarray', 'buffer.subarray');
  process.on('exit', () => {
    const sends = counts['ws.send'] ?? 0;
    const perSend = Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, sends > 0 ? Math.round((v / sends) * 100) / 100 : 0]));
    writeFileSync(`${process.env.WAVEGATE_PROFILE_DIR ?? '.'}/${name}-${process.pid}.counts.json`, JSON.stringify({ counts, perSend }, null, 1));
  });
}
