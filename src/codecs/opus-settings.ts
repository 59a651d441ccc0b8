/**
 * Per-session Opus encoder settings (docs/media.md, "Opus encoder settings"): the gateway's defaults
 * (GatewayOptions.opus), which a client may override for its own session in the start message's
 * `outputFormat.opus` (docs/protocol.md). The defaults were chosen by measurement: bench/opus-cost.ts
 * (CPU per frame) and bench/opus-wer.ts (pocketsphinx word error rate through the gateway).
 */
import { WavegateError } from '../errors/wavegate-error.js';
import type { OpusApplication } from './opus.js';

export interface OpusSettings {
  /** 0 (fastest) … 10 (best). */
  complexity: number;
  /** 'audio' (CELT at speech bitrates: cheapest to encode), 'voip' (SILK/hybrid, speech-tuned), 'lowdelay' (CELT only). */
  application: OpusApplication;
  /** Discontinuous transmission: silence becomes 1–2 byte packets. */
  dtx: boolean;
  /** In-band FEC: on, off, or 'auto' (on while the far end reports loss). */
  fec: boolean | 'auto';
  /** Loss the far end reports at the start, percent (a WebSocket client's own figure; WebRTC updates it from RTCP). */
  packetLossPercent: number;
  /** Target bits per second, or null for libopus' own choice. */
  bitrate: number | null;
}

export interface GatewayOpusSettings extends OpusSettings {
  /** Highest complexity a client may ask for in its start message (encoding cost grows ~3× from 0 to 10). */
  maxComplexity: number;
}

export const DEFAULT_OPUS_SETTINGS: Readonly<GatewayOpusSettings> = Object.freeze({
  complexity: 0,
  application: 'audio',
  dtx: true,
  fec: 'auto',
  packetLossPercent: 0,
  bitrate: null,
  maxComplexity: 10,
});

const KEYS = ['complexity', 'application', 'dtx', 'fec', 'packetLossPercent', 'bitrate'] as const;

/** Why `value` is not a valid setting `key`, or undefined when it is. */
function problem(key: (typeof KEYS)[number] | 'maxComplexity', value: unknown): string | undefined {
  const int = (min: number, max: number) => (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max ? undefined : `an integer from ${min} to ${max}`);
  switch (key) {
    case 'complexity':
    case 'maxComplexity':
      return int(0, 10);
    case 'application':
      return value === 'audio' || value === 'voip' || value === 'lowdelay' ? undefined : "'audio', 'voip' or 'lowdelay'";
    case 'dtx':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'fec':
      return typeof value === 'boolean' || value === 'auto' ? undefined : "true, false or 'auto'";
    case 'packetLossPercent':
      return int(0, 100);
    case 'bitrate':
      return value === null ? undefined : int(6000, 510_000) && 'null or an integer from 6000 to 510000';
  }
}

/** Gateway options: defaults first, every field checked (TypeError naming the offending value). */
export function resolveGatewayOpusSettings(options: Partial<GatewayOpusSettings> | undefined): GatewayOpusSettings {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new TypeError(`Expected \`opus\` to be an object of Opus encoder settings, got \`${String(options)}\``);
  }
  const o: GatewayOpusSettings = { ...DEFAULT_OPUS_SETTINGS, ...options };
  for (const key of Object.keys(o) as Array<keyof GatewayOpusSettings>) {
    if (!(KEYS as readonly string[]).includes(key) && key !== 'maxComplexity') throw new TypeError(`Unknown Opus setting \`opus.${key}\` (use ${[...KEYS, 'maxComplexity'].join(', ')})`);
    const expected = problem(key, o[key]);
    if (expected) throw new TypeError(`Expected \`opus.${key}\` to be ${expected}, got \`${JSON.stringify(o[key])}\``);
  }
  return o;
}

/**
 * A client's `outputFormat.opus` from its start message: only the keys it sets, each checked
 * (WG_ERR_UNSUPPORTED_FORMAT naming the offending value).
 */
export function parseClientOpusSettings(value: unknown): Partial<OpusSettings> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `outputFormat.opus must be an object, got ${JSON.stringify(value)}`);
  }
  const out: Partial<Record<(typeof KEYS)[number], unknown>> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(KEYS as readonly string[]).includes(key)) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `outputFormat.opus.${key} is not an Opus setting (use ${KEYS.join(', ')})`);
    const expected = problem(key as (typeof KEYS)[number], v);
    if (expected) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `outputFormat.opus.${key} must be ${expected}, got ${JSON.stringify(v)}`);
    out[key as (typeof KEYS)[number]] = v;
  }
  return out as Partial<OpusSettings>;
}

/** The session's settings: the gateway's, then the client's; a complexity above the gateway's maximum is refused. */
export function sessionOpusSettings(gateway: GatewayOpusSettings, client: Partial<OpusSettings> | undefined): OpusSettings {
  if (client?.complexity !== undefined && client.complexity > gateway.maxComplexity) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `outputFormat.opus.complexity ${client.complexity} is above this gateway's maximum of ${gateway.maxComplexity}`);
  }
  const { maxComplexity: _, ...defaults } = gateway;
  return { ...defaults, ...client };
}

/** As the encoder takes them (null bitrate = libopus' choice). */
export function encoderOptionsOf(settings: OpusSettings): { complexity: number; application: OpusApplication; dtx: boolean; fec: boolean | 'auto'; packetLossPercent: number; bitrate?: number } {
  const { bitrate, ...rest } = settings;
  return bitrate === null ? rest : { ...rest, bitrate };
}
