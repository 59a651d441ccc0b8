import { describe, expect, it } from 'vitest';
import { parseHandlerOptionFlags } from '../src/cli/handler-option-flags.js';
import { resolveSpeechTurnOptions } from '../src/speech/speech-handler-options.js';

describe('--handler-option key=value', () => {
  it('nests dotted keys and types values', () => {
    expect(
      parseHandlerOptionFlags(['algoOptions.speechThreshold=0.15', 'algoOptions.audioChunkDuration=0.8', 'canInterrupt=false', 'voice=slt', 'vadOptions={"mode":2}', 'partials=true']),
    ).toEqual({ algoOptions: { speechThreshold: 0.15, audioChunkDuration: 0.8 }, canInterrupt: false, voice: 'slt', vadOptions: { mode: 2 }, partials: true });
  });

  it('names a bad flag', () => {
    expect(() => parseHandlerOptionFlags(['novalue'])).toThrow(/key=value.*"novalue"/);
    expect(() => parseHandlerOptionFlags(['a..b=1'])).toThrow(/"a..b=1"/);
    expect(() => parseHandlerOptionFlags(['__proto__.polluted=1'])).toThrow(/not allowed/);
    expect(() => parseHandlerOptionFlags(['x={oops'])).toThrow(/not valid JSON/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('what the CLI builds is what the speech handlers accept, and a typo is refused by name', () => {
    const parsed = parseHandlerOptionFlags(['algoOptions.speechThreshold=0.15', 'canInterrupt=false', 'vadOptions.mode=2']);
    const resolved = resolveSpeechTurnOptions('asr', parsed);
    expect(resolved.turn.algo.speechThreshold).toBe(0.15);
    expect(resolved.turn.canInterrupt).toBe(false);
    expect(() => resolveSpeechTurnOptions('asr', parseHandlerOptionFlags(['algoOptions.speechTreshold=0.2']))).toThrow(/Unknown algoOptions option "speechTreshold"/);
    expect(() => resolveSpeechTurnOptions('asr', parseHandlerOptionFlags(['vadOptions.agressiveness=3']))).toThrow(/Unknown vadOptions option "agressiveness"; known: threshold, negativeThreshold, energyFloorDbfs/);
    expect(() => resolveSpeechTurnOptions('asr', parseHandlerOptionFlags(['canInterupt=false']))).toThrow(expect.objectContaining({ code: 'WG_ERR_HANDLER_UNAVAILABLE', message: expect.stringMatching(/unknown option "canInterupt"/) }));
    expect(() => resolveSpeechTurnOptions('asr', parseHandlerOptionFlags(['algoOptions.speechThreshold=2']))).toThrow(/speechThreshold.*2/);
  });
});
