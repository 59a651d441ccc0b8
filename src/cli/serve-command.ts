import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { runWorkersPrimary } from '../cluster/workers-primary.js';
import { isGatewayWorker, primaryLink } from '../cluster/worker-ipc.js';
import { createGateway } from '../gateway.js';
import { loadHandler } from '../handler/handler-loader.js';
import { parseIceServer } from '../signaling/ice-servers.js';
import { parsePortRange } from '../transport/webrtc/webrtc-options.js';
import { parseHandlerOptionFlags } from './handler-option-flags.js';
import { directOptions, numberFlag, parseServeArgs, serveHelp, stringFlag, type ServeValues } from './serve-flags.js';

function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`--workers expects an integer from 1 to 256 or auto, got ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(values: ServeValues, name: string, choices: readonly T[]): T | undefined {
  const value = stringFlag(values, name);
  if (value !== undefined && !(choices as readonly string[]).includes(value)) throw new Error(`--${name} expects ${choices.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as T | undefined;
}

async function roomOptions(values: ServeValues) {
  const handler = stringFlag(values, 'room-handler');
  const handlerInput = oneOf(values, 'room-handler-input', ['mix', 'per-speaker'] as const);
  const maxParticipants = numberFlag(values, 'room-max-participants');
  const maxRooms = numberFlag(values, 'max-rooms');
  const sampleRate = numberFlag(values, 'room-sample-rate');
  return {
    ...(handler !== undefined && { handler: await loadHandler(handler), handlerOptions: parseHandlerOptionFlags((values['room-handler-option'] as string[] | undefined) ?? []) }),
    ...(handlerInput !== undefined && { handlerInput }),
    ...(maxParticipants !== undefined && { maxParticipants }),
    ...(maxRooms !== undefined && { maxRooms }),
    ...(sampleRate !== undefined && { sampleRate: sampleRate as 8000 | 16000 | 24000 | 48000 }),
    ...(values['room-moderation'] === true && { clientModeration: true }),
    ...(values['no-room-barge-in'] === true && { bargeIn: false }),
  };
}

export async function runServe(argv: readonly string[]): Promise<number> {
  const values = parseServeArgs(argv);
  if (values.help) {
    process.stdout.write(serveHelp());
    return 0;
  }
  const workers = parseWorkers(stringFlag(values, 'workers'));
  if (workers > 1 && cluster.isPrimary) {
    const limit = numberFlag(values, 'cluster-concurrency-limit') ?? numberFlag(values, 'concurrency-limit') ?? null;
    return runWorkersPrimary({ workers, boxLimit: limit, redis: values.redis !== undefined, drainTimeoutMs: 30_000 });
  }
  const handlerOptions = parseHandlerOptionFlags((values['handler-option'] as string[] | undefined) ?? []);
  const dsp = stringFlag(values, 'dsp');
  if (dsp !== undefined) handlerOptions.dsp = dsp;
  const vad = oneOf(values, 'vad', ['silero', 'webrtc'] as const);
  if (vad !== undefined) handlerOptions.vad = vad;
  const recordMode = oneOf(values, 'record', ['input', 'output', 'both'] as const);
  const [certFile, keyFile] = [stringFlag(values, 'tls-cert'), stringFlag(values, 'tls-key')];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const iceServers = values['ice-server'] as string[] | undefined;
  const webrtcPorts = stringFlag(values, 'webrtc-ports');
  const gateway = createGateway({
    ...directOptions(values),
    host: stringFlag(values, 'host')!,
    port: numberFlag(values, 'port') ?? 8000,
    handler: await loadHandler(stringFlag(values, 'handler')!),
    handlerOptions,
    ...(iceServers !== undefined && { iceServers: iceServers.map(parseIceServer) }),
    ...(recordMode !== undefined && { recordMode }),
    ...(webrtcPorts !== undefined && { webrtcPortRange: parsePortRange(webrtcPorts) }),
    ...(certFile !== undefined && { tls: { certFile, keyFile: keyFile! } }),
    rooms: await roomOptions(values),
  });
  const { url } = await gateway.listen();
  const worker = isGatewayWorker();
  if (worker) primaryLink().post({ wavegate: 'listening', url });
  else process.stdout.write(`wavegate listening on ${url}\n`);

  return new Promise<number>((resolveExit) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!worker) process.stdout.write(`wavegate: ${signal}, closing sessions\n`);
      gateway.close().then(
        () => {
          // A worker's IPC channel would keep it alive: let go of it once drained.
          if (worker && process.connected) process.disconnect();
          resolveExit(0);
        },
        (err: unknown) => {
          console.error('wavegate: close failed', err);
          resolveExit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (certFile !== undefined) {
      // Certificate renewal: new connections get the new files, live sessions continue (docs/deploy.md).
      process.on('SIGHUP', () => {
        gateway.reloadTls().then(
          () => process.stdout.write('wavegate: SIGHUP, TLS certificate reloaded\n'),
          (err: unknown) => console.error(`wavegate: SIGHUP, TLS certificate not reloaded, the previous one stays: ${err instanceof Error ? err.message : String(err)}`),
        );
      });
    }
    // A worker whose primary is gone drains and exits rather than hold the port alone.
    if (worker) process.once('disconnect', () => stop('SIGTERM'));
  });
}
