import type { Encoding } from '../codecs/media-format.js';
import { StreamingResampler, type ResamplerOptions, type ResamplerTier } from './streaming-resampler.js';

/**
 * The resampler tier a wire encoding calls for (docs/resampler.md, "Choosing a tier"):
 * - G.711 (μ-law, A-law): `telephone`. The codec's own quantisation noise sits ~38 dB below speech, so
 *   a 70 dB filter adds nothing audible or measurable (the WER and SNR through the gateway do not move).
 * - L16 and Opus: `live`, ≥ 90 dB, below 16-bit PCM's own rounding noise in the passband.
 * The `high` tier (130 dB) is never chosen automatically; pass `tier: 'high'` to get it.
 */
export function tierForEncoding(encoding: Encoding): Exclude<ResamplerTier, 'high'> {
  return encoding === 'audio/x-mulaw' || encoding === 'audio/x-alaw' ? 'telephone' : 'live';
}

/**
 * A streaming resampler between a wire and a handler rate, tiered for the wire's encoding (see
 * tierForEncoding); `options.tier` overrides the choice. For one side of a session pipeline:
 * `resamplerFor(format.sampleRate, handlerRate, format.encoding)`.
 */
export function resamplerFor(inputRate: number, outputRate: number, encoding: Encoding, options: Partial<ResamplerOptions> = {}): StreamingResampler {
  return new StreamingResampler(inputRate, outputRate, { ...options, tier: options.tier ?? tierForEncoding(encoding) });
}
