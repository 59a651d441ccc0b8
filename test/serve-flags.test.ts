import { describe, expect, it } from 'vitest';
import { directOptions, numberFlag, parseServeArgs, SERVE_FLAGS, serveHelp } from '../src/cli/serve-flags.js';

describe('wavegate serve flags (src/cli/serve-flags.ts)', () => {
  it('the help names every flag once, within 110 columns', () => {
    const help = serveHelp();
    for (const flag of SERVE_FLAGS) expect(help.split(`  --${flag.name}${flag.arg ? ` ${flag.arg}` : ''}`).length - 1, flag.name).toBe(1);
    for (const line of help.split('\n')) expect(line.length).toBeLessThanOrEqual(110);
  });

  it('maps direct flags to gateway options, numbers parsed, repeatable flags as arrays, booleans only when given', () => {
    const values = parseServeArgs(['--concurrency-limit', '7', '--allowed-origin', 'https://a', '--allowed-origin', 'https://b', '--enforce-exp-live', '--redis', 'redis://x'], {});
    expect(directOptions(values)).toEqual({ concurrencyLimit: 7, allowedOrigins: ['https://a', 'https://b'], enforceExpLive: true, redisUrl: 'redis://x' });
    expect(directOptions(parseServeArgs([], {}))).toEqual({});
  });

  it('reads secrets from the environment when the flag is absent, the flag winning when both are there', () => {
    expect(directOptions(parseServeArgs([], { WAVEGATE_AUTH_SECRET: 's'.repeat(32), TWILIO_AUTH_TOKEN: 't' }))).toEqual({ authSecret: ['s'.repeat(32)], twilioAuthToken: 't' });
    expect(directOptions(parseServeArgs(['--twilio-auth-token', 'flag'], { TWILIO_AUTH_TOKEN: 'env' })).twilioAuthToken).toBe('flag');
  });

  it('refuses unknown flags and values that are not numbers, naming the flag', () => {
    expect(() => parseServeArgs(['--no-such-flag'], {})).toThrow(/no-such-flag/);
    expect(() => numberFlag(parseServeArgs(['--time-limit', 'soon'], {}), 'time-limit')).toThrow('--time-limit expects a number, got "soon"');
    expect(() => numberFlag(parseServeArgs(['--time-limit', ''], {}), 'time-limit')).toThrow(/--time-limit/);
  });
});
