import { describe, expect, it } from 'vitest';
import { loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
import { createAudioFrame, type AudioFrame } from '../src/audio/audio-frame.js';
import type { HandlerContext, HandlerOutput } from '../src/handler/handler.js';
import { replyOnPause, type ReplyOnPauseHandler } from '../src/turn/reply-on-pause.js';
import type { ReplyFn, ReplyTurn } from '../src/turn/reply-types.js';

const fixtures = loadSpeechFixtures();
const RATE = 16_000;

/** A session stand-in: the context a handler gets, recording outputs with their time. */
function session(inputs?: Record<string, unknown>) {
  const outputs: Array<{ output: HandlerOutput; at: number }> = [];
  const abort = new AbortController();
  let latest = inputs;
  // Audio leaves the queue in real time from the first frame of a run, as the session's pacer does.
  let queuedMs = 0;
  let drainedAt = performance.now();
  const backlog = () => {
    const now = performance.now();
    queuedMs = Math.max(0, queuedMs - (now - drainedAt));
    drainedAt = now;
    return queuedMs;
  };
  const ctx: HandlerContext = {
    sessionId: 'turn-test',
    inputSampleRate: RATE,
    outputSampleRate: RATE,
    phone: undefined,
    signal: abort.signal,
    send: (output) => {
      outputs.push({ output, at: performance.now() });
      backlog();
      if (output.type === 'audio') queuedMs += (output.frame.samples.length / output.frame.sampleRate) * 1000;
      if (output.type === 'clear') queuedMs = 0;
    },
    wake: () => undefined,
    outputBacklogMs: backlog,
    latestInput: () => latest,
  };
  const kinds = () => outputs.map(({ output }) => (output.type === 'log' ? output.data : output.type));
  return { ctx, outputs, kinds, abort, setInput: (args: Record<string, unknown>) => (latest = args) };
}

/** 20 ms frames of `samples`, timestamps from `startMs`. */
function frames(samples: Int16Array, startMs = 0): AudioFrame[] {
  const out: AudioFrame[] = [];
  for (let o = 0, k = 0; o < samples.length; o += 320, k++) out.push(createAudioFrame(samples.slice(o, o + 320), RATE, 1, startMs + k * 20));
  return out;
}

const silence = (ms: number) => new Int16Array((RATE * ms) / 1000);
const tone = (ms: number) => Int16Array.from({ length: (RATE * ms) / 1000 }, (_, i) => Math.round(3000 * Math.sin(i / 5)));

async function feed(handler: ReplyOnPauseHandler<any>, samples: Int16Array, realTime = false): Promise<void> {
  for (const frame of frames(samples)) {
    handler.receive(frame);
    if (realTime) await new Promise((r) => setTimeout(r, 20));
  }
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function create<R>(fn: ReplyFn<R>, options: Parameters<typeof replyOnPause<R>>[1] = {}) {
  return replyOnPause(fn, options).create({}) as ReplyOnPauseHandler<R>;
}

describe('replyOnPause with the WebRTC VAD', () => {
  it('calls the reply with the whole utterance after the pause and streams its audio back', async () => {
    const turns: ReplyTurn[] = [];
    const handler = create(async function* (turn) {
      turns.push(turn);
      yield createAudioFrame(tone(100), RATE);
      yield { type: 'additional_outputs', data: { heard: turn.audio.samples.length } };
    });
    const s = session();
    await handler.startUp(s.ctx);
    const speech = fixtures[3]!.samples;
    await feed(handler, Int16Array.from([...silence(500), ...speech, ...silence(1000)]));
    await until(() => s.kinds().includes('additional_outputs'));
    expect(s.kinds()).toEqual(['started_talking', 'pause_detected', 'response_starting', 'audio', 'additional_outputs']);
    expect(turns).toHaveLength(1);
    const heard = turns[0]!.audio;
    expect(heard.sampleRate).toBe(RATE);
    // The whole sentence is in the utterance: it starts before the speech and ends after it.
    expect(heard.samples.length).toBeGreaterThan(speech.length);
    expect(heard.samples.length).toBeLessThan(speech.length + RATE * 1.5);
    let found = -1;
    for (let o = 0; o < heard.samples.length - 100 && found < 0; o += 1) if (heard.samples[o] === speech[4000] && heard.samples[o + 1] === speech[4001] && heard.samples[o + 50] === speech[4050]) found = o;
    expect(found).toBeGreaterThan(4000);
    handler.shutdown('client_stop');
  });

  it('barge-in on speech start: the reply stops, its generator is returned, the client gets clear', async () => {
    let returned = false;
    let yielded = 0;
    const handler = create(async function* () {
      try {
        for (let i = 0; i < 500; i++) {
          yielded++;
          yield createAudioFrame(tone(20), RATE);
        }
      } finally {
        returned = true;
      }
    });
    const s = session();
    await handler.startUp(s.ctx);
    await feed(handler, Int16Array.from([...silence(300), ...fixtures[0]!.samples, ...silence(800)]));
    await until(() => s.kinds().includes('audio'));
    await new Promise((r) => setTimeout(r, 300));
    const before = s.outputs.length;
    // The user talks again while the 10 s reply plays: fed in real time.
    await feed(handler, Int16Array.from([...fixtures[5]!.samples.subarray(0, RATE)]), true);
    const kinds = s.kinds();
    const talk = kinds.indexOf('started_talking', 1);
    expect(talk).toBeGreaterThanOrEqual(before);
    expect(kinds[talk + 1]).toBe('clear');
    expect(kinds.slice(talk + 1).includes('audio')).toBe(false);
    await until(() => returned);
    expect(yielded).toBeLessThan(100); // paced: about the lead plus real time elapsed, never the whole reply
    expect(handler.counts.bargeIns).toBe(1);
    handler.shutdown('client_stop');
  });

  it('canInterrupt: false ignores speech while replying, then listens again', async () => {
    let replies = 0;
    const handler = create(
      async function* () {
        replies++;
        for (let i = 0; i < 40; i++) yield createAudioFrame(tone(20), RATE);
      },
      { canInterrupt: false, maxReplyLeadMs: 0 },
    );
    const s = session();
    await handler.startUp(s.ctx);
    await feed(handler, Int16Array.from([...silence(300), ...fixtures[1]!.samples, ...silence(800)]));
    await until(() => s.kinds().includes('audio'));
    await feed(handler, fixtures[2]!.samples.subarray(0, RATE / 2), true); // talks over the 0.8 s reply
    expect(s.kinds().filter((k) => k === 'started_talking')).toHaveLength(1);
    expect(s.kinds()).not.toContain('clear');
    await until(() => s.kinds().filter((k) => k === 'audio').length === 40);
    await new Promise((r) => setTimeout(r, 50));
    await feed(handler, Int16Array.from([...fixtures[4]!.samples, ...silence(800)]));
    await until(() => replies === 2);
    handler.shutdown('client_stop');
  });

  it('needsInputs: asks with send_input and waits for POST /input before replying', async () => {
    const seen: unknown[] = [];
    const handler = create(
      function* (turn) {
        seen.push(turn.inputs);
        yield { type: 'transcript', text: 'ok', final: true } as const;
      },
      { needsInputs: true },
    );
    const s = session();
    await handler.startUp(s.ctx);
    await feed(handler, Int16Array.from([...silence(300), ...fixtures[6]!.samples, ...silence(800)]));
    await until(() => s.kinds().includes('send_input'));
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    s.setInput({ voice: 'slt' });
    handler.onEvent({ type: 'input', args: { voice: 'slt' } });
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ voice: 'slt' }]);
    await until(() => s.kinds().includes('transcript'));
    handler.shutdown('client_stop');
  });

  it('a reply that throws becomes a warning and the next turn is answered', async () => {
    let calls = 0;
    const handler = create(async function* () {
      calls++;
      if (calls === 1) throw new Error('model offline');
      yield createAudioFrame(tone(20), RATE);
    });
    const s = session();
    await handler.startUp(s.ctx);
    await feed(handler, Int16Array.from([...silence(300), ...fixtures[7]!.samples, ...silence(800)]));
    await until(() => s.kinds().includes('warning'));
    expect(s.outputs.find((o) => o.output.type === 'warning')!.output).toMatchObject({ message: 'reply failed: model offline' });
    await feed(handler, Int16Array.from([...fixtures[8]!.samples, ...silence(800)]));
    await until(() => s.kinds().includes('audio'));
    expect(handler.counts.replyErrors).toBe(1);
    handler.shutdown('client_stop');
  });

  it('shutdown aborts a reply in progress and its signal', async () => {
    let signal: AbortSignal | undefined;
    const handler = create(async function* (turn) {
      signal = turn.signal;
      await new Promise((r) => setTimeout(r, 10_000));
      yield createAudioFrame(tone(20), RATE);
    });
    const s = session();
    await handler.startUp(s.ctx);
    await feed(handler, Int16Array.from([...silence(300), ...fixtures[9]!.samples, ...silence(800)]));
    await until(() => signal !== undefined);
    handler.shutdown('client_stop');
    expect(signal!.aborted).toBe(true);
  });

  it('validates its options and refuses a rate the VAD cannot take, at start-up', async () => {
    expect(() => replyOnPause(async function* () {}, { canInterrupt: 'yes' as unknown as boolean })).toThrow(/canInterrupt.*"yes"/);
    expect(() => replyOnPause(async function* () {}, { algoOptions: { speechThreshold: 9 } })).toThrow(/speechThreshold.*9/);
    expect(() => replyOnPause(async function* () {}, { vadOptions: { mode: 7 as 3 } })).toThrow(/mode.*7/);
    const handler = create(async function* () {});
    const s = session();
    await expect(handler.startUp({ ...s.ctx, inputSampleRate: 44_100 })).rejects.toMatchObject({ code: 'WG_ERR_HANDLER_UNAVAILABLE' });
  });
});
