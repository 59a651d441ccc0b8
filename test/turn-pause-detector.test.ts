import { describe, expect, it } from 'vitest';
import { PauseDetector, type TurnSignal } from '../src/turn/pause-detector.js';
import { DEFAULT_ALGO_OPTIONS, resolveAlgoOptions } from '../src/turn/turn-options.js';

/** Feeds a verdict script (10 ms frames, each frame's samples = [index]) and records the signals. */
function run(detector: PauseDetector, script: boolean[]): Array<{ at: number; signal: TurnSignal }> {
  const seen: Array<{ at: number; signal: TurnSignal }> = [];
  script.forEach((speech, i) => {
    const signal = detector.push(Int16Array.of(i), speech);
    if (signal.type !== 'none') seen.push({ at: i, signal });
  });
  return seen;
}

const frames = (n: number, speech: boolean) => Array.from({ length: n }, () => speech);

describe('PauseDetector (FastRTC AlgoOptions over a sliding window)', () => {
  it('starts a turn after more than 0.2 s of speech in 0.6 s and ends it when less than 0.1 s remains', () => {
    const d = new PauseDetector(DEFAULT_ALGO_OPTIONS, 10);
    const seen = run(d, [...frames(100, false), ...frames(150, true), ...frames(100, false)]);
    expect(seen.map((s) => [s.signal.type, s.at])).toEqual([
      ['started_talking', 100 + 20], // the 21st speech frame: 210 ms > 200 ms
      ['pause_detected', 250 + 50], // 51 silent frames leave 9 speech frames (90 ms < 100 ms) in the 60-frame window
    ]);
    const start = seen[0]!.signal as Extract<TurnSignal, { type: 'started_talking' }>;
    // pre-roll: the 60-frame window and a 200 ms pad, ending with the deciding frame
    expect(Array.from(start.preroll)).toEqual(Array.from({ length: 80 }, (_, i) => 41 + i));
    const pause = seen[1]!.signal as Extract<TurnSignal, { type: 'pause_detected' }>;
    expect(pause.reason).toBe('pause');
    expect(Array.from(pause.utterance)).toEqual(Array.from({ length: 300 - 41 + 1 }, (_, i) => 41 + i));
    expect(d.isTalking).toBe(false);
  });

  it('ignores bursts too short to be a turn, and short gaps inside one', () => {
    const d = new PauseDetector(DEFAULT_ALGO_OPTIONS, 10);
    const clicks = Array.from({ length: 300 }, (_, i) => i % 40 < 5); // 5 of every 40 frames
    expect(run(d, clicks)).toEqual([]);
    const speechWithGaps = [...frames(30, true), ...frames(30, false), ...frames(30, true), ...frames(45, false), ...frames(30, true), ...frames(80, false)];
    expect(run(d, speechWithGaps).map((s) => s.signal.type)).toEqual(['started_talking', 'pause_detected']);
  });

  it('cuts a turn at maxContinuousSpeechS and starts the next one', () => {
    const d = new PauseDetector(resolveAlgoOptions({ maxContinuousSpeechS: 1 }), 10);
    const seen = run(d, frames(300, true));
    const types = seen.map((s) => s.signal.type);
    expect(types.slice(0, 3)).toEqual(['started_talking', 'pause_detected', 'started_talking']);
    const cut = seen[1]!.signal as Extract<TurnSignal, { type: 'pause_detected' }>;
    expect(cut.reason).toBe('max_length');
    expect(cut.utterance.length).toBe(100);
  });

  it('works with other frame lengths and thresholds', () => {
    const d = new PauseDetector(resolveAlgoOptions({ audioChunkDuration: 0.3, startedTalkingThreshold: 0.05, speechThreshold: 0.05, minSpeechS: 0.05 }), 30);
    const seen = run(d, [...frames(5, false), ...frames(4, true), ...frames(20, false)]);
    expect(seen.map((s) => [s.signal.type, s.at])).toEqual([
      ['started_talking', 6], // 2 frames = 60 ms > 50 ms
      ['pause_detected', 9 + 8], // window of 10 holds 1 speech frame (30 ms < 50 ms)
    ]);
  });

  it('minSpeechS: scattered speech frames never start a turn; a run with short gaps (hang-over) does', () => {
    const d = new PauseDetector(DEFAULT_ALGO_OPTIONS, 10);
    // 6 frames of "speech" every 12 frames: 0.3 s in every 0.6 s window, but never 0.2 s in a row.
    const scattered = Array.from({ length: 20 }, () => [...frames(6, true), ...frames(12, false)]).flat();
    expect(run(d, scattered)).toEqual([]);
    // 5 speech, 5 gap (≤ 0.1 s hang-over), … : one run, started once it has lasted 0.2 s.
    const d2 = new PauseDetector(DEFAULT_ALGO_OPTIONS, 10);
    const seen = run(d2, [...frames(5, true), ...frames(5, false), ...frames(5, true), ...frames(5, false), ...frames(5, true), ...frames(5, false), ...frames(10, true)]);
    expect(seen.map((s) => s.signal.type)).toEqual(['started_talking']);
    expect(seen[0]!.at).toBeLessThan(45);
    expect(d2.speechRunMs).toBeGreaterThanOrEqual(200);
  });

  it('reset() forgets the turn and the window', () => {
    const d = new PauseDetector(DEFAULT_ALGO_OPTIONS, 10);
    run(d, frames(30, true));
    expect(d.isTalking).toBe(true);
    d.reset();
    expect(d.isTalking).toBe(false);
    expect(d.speechMs).toBe(0);
    expect(run(d, frames(20, true))).toEqual([]);
  });

  it('validates AlgoOptions naming the offending value', () => {
    expect(() => resolveAlgoOptions({ audioChunkDuration: 0 })).toThrow(/audioChunkDuration.*`0`/);
    expect(() => resolveAlgoOptions({ startedTalkingThreshold: 2 })).toThrow(/startedTalkingThreshold.*`2`/);
    expect(() => resolveAlgoOptions({ speechThreshold: -1 })).toThrow(/speechThreshold/);
    expect(() => resolveAlgoOptions({ maxContinuousSpeechS: Infinity })).toThrow(/maxContinuousSpeechS.*Infinity/);
  });
});
