import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import type { Handler, HandlerContext, HandlerOutput } from '../src/handler/handler.js';
import { HandlerRunner, type HandlerRunnerOptions } from '../src/session/handler-runner.js';

const frame = (timestamp: number): AudioFrame => ({ samples: new Int16Array(4), sampleRate: 8000, channels: 1, timestamp });

function runnerFor(handler: Handler, options: Partial<HandlerRunnerOptions> = {}) {
  const delivered: HandlerOutput[] = [];
  const failures: unknown[] = [];
  const runner = new HandlerRunner(handler, {
    maxPending: 100,
    maxEmitsPerDrain: 64,
    shutdownTimeoutMs: 1000,
    deliver: (o) => delivered.push(o),
    fail: (err) => failures.push(err),
    ...options,
  });
  return { runner, delivered, failures };
}

/** A promise with its resolve/reject in hand. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise(setImmediate);
};

const ctx = {} as HandlerContext;

describe('HandlerRunner with a synchronous handler', () => {
  it('calls receive and drains emit on the spot: no promise, no queue', () => {
    const seen: number[] = [];
    let ready: HandlerOutput[] = [];
    const { runner, delivered } = runnerFor({
      receive(f) {
        seen.push(f.timestamp);
        ready.push({ type: 'log', data: 'started_talking' });
      },
      emit: () => ready.shift(),
    });
    expect(runner.receive(frame(1))).toBe(true);
    // Synchronously: the frame was received and the output delivered before receive() returned.
    expect(seen).toEqual([1]);
    expect(delivered).toHaveLength(1);
    expect(runner.pending).toBe(0);
    runner.receive(frame(2));
    expect(seen).toEqual([1, 2]);
    expect(delivered).toHaveLength(2);
    ready = [];
  });

  it('runs a synchronous startUp at once, and a frame right after it', () => {
    const calls: string[] = [];
    const { runner } = runnerFor({ startUp: () => void calls.push('startUp'), receive: () => void calls.push('receive') });
    runner.startUp(ctx);
    runner.receive(frame(0));
    expect(calls).toEqual(['startUp', 'receive']);
  });

  it('a call the handler causes from inside its own call waits until that call returns (no nesting)', () => {
    const log: string[] = [];
    let depth = 0;
    const { runner } = runnerFor({
      receive(f) {
        depth++;
        log.push(`receive ${f.timestamp} depth ${depth}`);
        if (f.timestamp === 1) {
          runner.event({ type: 'dtmf', digit: '5' }); // e.g. a mark confirmed while sending this frame's echo
          runner.wake();
        }
        depth--;
      },
      onEvent(e) {
        depth++;
        log.push(`event ${e.type} depth ${depth}`);
        depth--;
      },
      emit() {
        depth++;
        log.push(`emit depth ${depth}`);
        depth--;
        return undefined;
      },
    });
    runner.receive(frame(1));
    expect(log).toEqual(['receive 1 depth 1', 'emit depth 1', 'event dtmf depth 1', 'emit depth 1', 'emit depth 1']);
  });

  it('a handler that throws ends its session once, and takes nothing more', () => {
    const { runner, failures } = runnerFor({
      receive(f) {
        if (f.timestamp === 2) throw new Error('boom');
      },
    });
    expect(runner.receive(frame(1))).toBe(true);
    expect(runner.receive(frame(2))).toBe(true);
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe('boom');
    expect(runner.receive(frame(3))).toBe(false);
    expect(failures).toHaveLength(1);
  });

  it('an emitter that always has output is cut off after maxEmitsPerDrain and continued on a later turn', async () => {
    let n = 0;
    const { runner, delivered } = runnerFor({ receive() {}, emit: () => (n++ < 10 ? { type: 'send_input' } : undefined) }, { maxEmitsPerDrain: 4 });
    runner.receive(frame(0));
    expect(delivered).toHaveLength(4);
    const received: number[] = [];
    runner.handler.receive = (f) => void received.push(f.timestamp);
    runner.receive(frame(1)); // waits behind the continued drain
    expect(received).toEqual([]);
    await flush();
    expect(delivered).toHaveLength(10);
    expect(received).toEqual([1]);
  });
});

describe('HandlerRunner with an asynchronous handler', () => {
  it('awaits startUp before the first receive; frames wait in order', async () => {
    const gate = deferred();
    const calls: string[] = [];
    const { runner } = runnerFor({
      async startUp() {
        await gate.promise;
        calls.push('startUp');
      },
      receive: (f) => void calls.push(`receive ${f.timestamp}`),
    });
    runner.startUp(ctx);
    runner.receive(frame(1));
    runner.receive(frame(2));
    expect(calls).toEqual([]);
    expect(runner.pending).toBe(3);
    gate.resolve();
    await flush();
    expect(calls).toEqual(['startUp', 'receive 1', 'receive 2']);
  });

  it('never overlaps receive calls, and bounds what waits (maxPending), counting drops', async () => {
    let active = 0;
    let maxActive = 0;
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const seen: number[] = [];
    const { runner } = runnerFor(
      {
        async receive(f) {
          active++;
          maxActive = Math.max(maxActive, active);
          const gate = deferred();
          gates.push(gate);
          await gate.promise;
          seen.push(f.timestamp);
          active--;
        },
      },
      { maxPending: 3 },
    );
    const accepted = [0, 1, 2, 3, 4, 5].map((t) => runner.receive(frame(t)));
    expect(accepted).toEqual([true, true, true, true, false, false]); // one running, three waiting
    expect(runner.droppedFrames).toBe(2);
    while (seen.length < 4) {
      await flush();
      gates.shift()?.resolve();
    }
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(maxActive).toBe(1);
  });

  it('a rejected receive fails the session once; what waited is dropped', async () => {
    const seen: number[] = [];
    const { runner, failures } = runnerFor({
      async receive(f) {
        seen.push(f.timestamp);
        await Promise.resolve();
        if (f.timestamp === 1) throw new Error('async boom');
      },
    });
    runner.receive(frame(1));
    runner.receive(frame(2));
    await flush();
    expect(failures.map((e) => (e as Error).message)).toEqual(['async boom']);
    expect(seen).toEqual([1]);
    expect(runner.receive(frame(3))).toBe(false);
  });

  it('an async emit is awaited and drained in order', async () => {
    const outputs: HandlerOutput[] = [{ type: 'send_input' }, { type: 'log', data: 'pause_detected' }];
    const { runner, delivered } = runnerFor({
      receive() {},
      emit: async () => outputs.shift(),
    });
    runner.receive(frame(0));
    expect(delivered).toEqual([]);
    await flush();
    expect(delivered.map((o) => o.type)).toEqual(['send_input', 'log']);
  });
});

describe('HandlerRunner shutdown', () => {
  it('runs shutdown exactly once, after the call in progress, dropping what waited', async () => {
    const gate = deferred();
    const log: string[] = [];
    const { runner } = runnerFor({
      async receive(f) {
        log.push(`receive ${f.timestamp} start`);
        await gate.promise;
        log.push(`receive ${f.timestamp} end`);
      },
      shutdown: (reason) => void log.push(`shutdown ${reason}`),
    });
    runner.receive(frame(1));
    runner.receive(frame(2));
    const a = runner.shutdown('client_stop');
    const b = runner.shutdown('socket_closed');
    expect(a).toBe(b);
    await flush();
    expect(log).toEqual(['receive 1 start']);
    gate.resolve();
    await a;
    expect(log).toEqual(['receive 1 start', 'receive 1 end', 'shutdown client_stop']);
    expect(runner.receive(frame(3))).toBe(false);
  });

  it('gives up on a call that never settles after shutdownTimeoutMs, then still runs shutdown', async () => {
    const log: string[] = [];
    const { runner } = runnerFor({ receive: () => new Promise<void>(() => {}), shutdown: () => void log.push('shutdown') }, { shutdownTimeoutMs: 30 });
    runner.receive(frame(1));
    await runner.shutdown('time_limit');
    expect(log).toEqual(['shutdown']);
  });

  it('waits for a receive that turns asynchronous in the very call that asked for shutdown', async () => {
    const log: string[] = [];
    let runner!: HandlerRunner;
    let shutdown: Promise<void> | undefined;
    ({ runner } = runnerFor({
      receive() {
        shutdown = runner.shutdown('handler_closed');
        return new Promise<void>((resolve) => setTimeout(() => (log.push('receive settled'), resolve()), 10));
      },
      shutdown: () => void log.push('shutdown'),
    }));
    runner.receive(frame(1));
    await shutdown;
    expect(log).toEqual(['receive settled', 'shutdown']);
  });

  it('a handler whose shutdown throws does not reject', async () => {
    const { runner } = runnerFor({
      receive() {},
      shutdown() {
        throw new Error('bad shutdown');
      },
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      await expect(runner.shutdown('server_shutdown')).resolves.toBeUndefined();
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
  });
});

describe('HandlerRunner order under interleaving (property)', () => {
  it('with any mix of sync and async receive/onEvent/emit, calls never overlap and keep submission order', async () => {
    type Op = { kind: 'frame' | 'event' | 'wake'; async: boolean; delayTurns: number };
    const op = fc.record({ kind: fc.constantFrom<Op['kind']>('frame', 'event', 'wake'), async: fc.boolean(), delayTurns: fc.integer({ min: 0, max: 2 }) });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 30 }), fc.boolean(), async (ops, gaps, asyncEmit) => {
        let active = 0;
        let overlap = false;
        const order: string[] = [];
        const enter = () => {
          if (active++ > 0) overlap = true;
        };
        const leave = () => void active--;
        const wait = async (turns: number) => {
          for (let i = 0; i < turns + 1; i++) await new Promise(setImmediate);
        };
        const asyncById = new Map<string, Op>();
        let emitBudget = 0;
        const handler: Handler = {
          receive(f) {
            enter();
            const id = `f${f.timestamp}`;
            order.push(id);
            emitBudget++;
            const o = asyncById.get(id)!;
            if (!o.async) return leave();
            return wait(o.delayTurns).then(leave);
          },
          onEvent(e) {
            enter();
            const id = e.type === 'dtmf' ? `e${e.digit}` : '?';
            order.push(id);
            const o = asyncById.get(id)!;
            if (!o.async) return leave();
            return wait(o.delayTurns).then(leave);
          },
          emit() {
            enter();
            const out: HandlerOutput | undefined = emitBudget > 0 ? (emitBudget--, { type: 'send_input' }) : undefined;
            if (!asyncEmit) {
              leave();
              return out;
            }
            return wait(0).then(() => (leave(), out));
          },
        };
        const { runner, failures } = runnerFor(handler, { maxPending: 1000 });
        const submitted: string[] = [];
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'frame') {
            asyncById.set(`f${i}`, o);
            submitted.push(`f${i}`);
            runner.receive(frame(i));
          } else if (o.kind === 'event') {
            asyncById.set(`e${i}`, o);
            submitted.push(`e${i}`);
            runner.event({ type: 'dtmf', digit: String(i) });
          } else {
            runner.wake();
          }
          await wait((gaps[i] ?? 0) - 1);
        }
        while (runner.pending > 0) await wait(0);
        expect(failures).toEqual([]);
        expect(overlap).toBe(false);
        expect(order).toEqual(submitted);
      }),
      { numRuns: 150 },
    );
  });
});
