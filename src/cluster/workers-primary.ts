import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { nodeOfChannel } from '../channel-layer/channel-names.js';
import { GroupTable } from '../channel-layer/group-table.js';
import { BoxDirectory } from './box-directory.js';
import { RestartBackoff } from './restart-backoff.js';
import { isWavegateMessage, type PrimaryToWorker, type WorkerToPrimary } from './worker-ipc.js';

export interface WorkersPrimaryOptions {
  readonly workers: number;
  /** Sessions across the box when there is no Redis (the primary counts); null = no limit. */
  readonly boxLimit: number | null;
  /** Whether the workers share a Redis directory (then the primary holds none of its own). */
  readonly redis: boolean;
  /** Longest SIGTERM waits for the workers to drain before they are killed (ms). */
  readonly drainTimeoutMs: number;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  startedAt: number;
  readonly backoff: RestartBackoff;
}

/**
 * `wavegate serve --workers N` in the primary (docs/scale-out.md#workers): forks N workers that each run
 * the full gateway on the one shared port (node:cluster), replaces a worker that dies (with backoff,
 * counted), holds the box's session directory and relays router messages between workers when there is
 * no Redis, answers `GET /metrics` for the whole box (merged with prom-client's AggregatorRegistry), and on SIGTERM
 * drains every worker (handlers' shutdown, 1001 to clients) and resolves 0.
 */
export function runWorkersPrimary(options: WorkersPrimaryOptions): Promise<number> {
  const directory = new BoxDirectory(options.boxLimit);
  const nodes = new Map<string, Worker>();
  const nodesOfWorker = new Map<number, Set<string>>();
  /** The box's groups (call-signaling presence, calls): no expiry, a worker's memberships go when it exits. */
  const groups = new GroupTable();
  const slotOfWorker = new Map<number, Slot>();
  const own = new Registry();
  const collecting = new Map<string, (metrics: unknown) => void>();
  let collectCounter = 0;
  /** Every listening worker's registry, merged; a worker that does not answer within 2 s is left out. */
  const boxMetrics = async (): Promise<string> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.isConnected() && listening.has(w.id));
    const parts = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<unknown>((resolve) => {
            const rid = `m${++collectCounter}`;
            const timer = setTimeout(() => done([]), 2000);
            const done = (metrics: unknown) => {
              clearTimeout(timer);
              collecting.delete(rid);
              resolve(metrics);
            };
            collecting.set(rid, done);
            worker.send({ wavegate: 'collect', rid } satisfies PrimaryToWorker);
          }),
      ),
    );
    const box = await AggregatorRegistry.aggregate(parts.filter(Array.isArray) as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
    return `${box}\n${await own.metrics()}`;
  };
  const restarts = new Counter({ name: 'wavegate_worker_restarts_total', help: 'Workers that died and were replaced by the primary.', registers: [own] });
  new Gauge({
    name: 'wavegate_workers',
    help: 'Workers running now.',
    registers: [own],
    collect() {
      this.set(Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected()).length);
    },
  });
  let shuttingDown = false;
  let announced = false;
  const listening = new Set<number>();
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({ index, worker: undefined, startedAt: 0, backoff: new RestartBackoff() }));

  const reply = (worker: Worker, rid: string, value: unknown) => {
    if (worker.isConnected()) worker.send({ wavegate: 'reply', rid, value } satisfies PrimaryToWorker);
  };

  const onMessage = (worker: Worker, raw: unknown) => {
    if (!isWavegateMessage(raw)) return;
    const m = raw as WorkerToPrimary;
    switch (m.wavegate) {
      case 'hello': {
        nodes.set(m.node, worker);
        const own = nodesOfWorker.get(worker.id) ?? new Set<string>();
        own.add(m.node);
        nodesOfWorker.set(worker.id, own);
        return;
      }
      case 'group': {
        if (m.op === 'add') groups.add(m.group, m.channel, Infinity);
        else if (m.op === 'discard') groups.discard(m.group, m.channel);
        else if (m.op === 'remove_channel') groups.removeChannel(m.channel);
        if (m.op === 'claim') return reply(worker, m.rid, groups.claim(m.group, m.channel, Infinity, 0));
        if (m.op === 'send') {
          let recipients = 0;
          for (const channel of groups.members(m.group, 0)) {
            const target = nodes.get(nodeOfChannel(channel) ?? '');
            if (!target?.isConnected()) continue;
            target.send({ wavegate: 'deliver', channel, message: m.message! } satisfies PrimaryToWorker);
            recipients++;
          }
          return reply(worker, m.rid, recipients);
        }
        if (m.rid) reply(worker, m.rid, true);
        return;
      }
      case 'listening':
        listening.add(worker.id);
        if (!announced && listening.size >= options.workers) {
          announced = true;
          process.stdout.write(`wavegate listening on ${m.url} (${options.workers} workers)\n`);
        }
        return;
      case 'admit':
        return reply(worker, m.rid, directory.admit(m.entry, worker.id));
      case 'release':
        return directory.release(m.id, worker.id);
      case 'lookup':
        return reply(worker, m.rid, directory.get(m.id) ?? null);
      case 'list':
        return reply(worker, m.rid, directory.list());
      case 'route': {
        const target = nodes.get(nodeOfChannel(m.channel) ?? '');
        const ok = target !== undefined && target.isConnected();
        if (ok) target.send({ wavegate: 'deliver', channel: m.channel, message: m.message } satisfies PrimaryToWorker);
        return reply(worker, m.rid, ok);
      }
      case 'collected':
        collecting.get(m.rid)?.(m.metrics);
        return;
      case 'metrics':
        void boxMetrics().then(
          (text) => reply(worker, m.rid, text),
          (err: unknown) => reply(worker, m.rid, { error: err instanceof Error ? err.message : String(err) }),
        );
        return;
    }
  };

  const fork = (slot: Slot) => {
    const worker = cluster.fork({ WAVEGATE_WORKER_ID: String(slot.index + 1) });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slotOfWorker.set(worker.id, slot);
    worker.on('message', (message: unknown) => onMessage(worker, message));
  };

  return new Promise<number>((resolveExit) => {
    let drainTimer: NodeJS.Timeout | undefined;
    let exitCode = 0;
    const finishIfDrained = () => {
      if (!shuttingDown || Object.keys(cluster.workers ?? {}).length > 0) return;
      clearTimeout(drainTimer);
      if (exitCode === 0) process.stdout.write('wavegate: every worker drained\n');
      resolveExit(exitCode);
    };
    cluster.on('exit', (worker, code, signal) => {
      const slot = slotOfWorker.get(worker.id);
      slotOfWorker.delete(worker.id);
      listening.delete(worker.id);
      const own = nodesOfWorker.get(worker.id) ?? new Set<string>();
      nodesOfWorker.delete(worker.id);
      for (const node of own) if (nodes.get(node) === worker) nodes.delete(node);
      // Its memberships go with it (a name it held is free again at once).
      for (const { group, channel } of [...groups.entries()]) if (own.has(nodeOfChannel(channel) ?? '')) groups.discard(group, channel);
      const freed = options.redis ? 0 : directory.dropWorker(worker.id);
      if (shuttingDown || !slot) return finishIfDrained();
      if (!announced) {
        // A worker that dies before the box ever listened will not do better on a retry (bad handler, port taken).
        console.error(`wavegate: worker ${slot.index + 1} exited (${signal ?? `exit ${code}`}) before listening; stopping`);
        exitCode = 1;
        return stop('SIGTERM');
      }
      restarts.inc();
      const delay = slot.backoff.next(slot.startedAt, Date.now());
      console.warn(`wavegate: worker ${slot.index + 1} (pid ${worker.process.pid}) died (${signal ?? `exit ${code}`}); ${freed} of its sessions freed; replaced in ${delay} ms`);
      slot.worker = undefined;
      setTimeout(() => {
        if (!shuttingDown) fork(slot);
      }, delay);
    });
    function stop(signal: NodeJS.Signals): void {
      if (shuttingDown) return;
      shuttingDown = true;
      if (exitCode === 0) process.stdout.write(`wavegate: ${signal}, draining ${Object.keys(cluster.workers ?? {}).length} workers\n`);
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      drainTimer = setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      }, options.drainTimeoutMs);
      finishIfDrained();
    }
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    // Certificate renewal (docs/deploy.md): every worker re-reads its TLS files; the primary holds none.
    process.on('SIGHUP', () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGHUP');
    });
    for (const slot of slots) fork(slot);
  });
}
