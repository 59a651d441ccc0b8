// Test helper (not a test): a client reply without the silence the client wrote where the reply stalled.
/**
 * Drops whole frames of exact zeros: what streamAudio writes into its reply where nothing was left to
 * conceal (StreamResult.gapMs). Decoded Opus is never exactly zero for a whole frame, so nothing else
 * goes. With them out, a stall on a shared machine does not shift the rest of the reply against the input.
 */
export function withoutStallSilence(reply: Int16Array, frameSamples = 960): Int16Array {
  const kept: Int16Array[] = [];
  for (let at = 0; at + frameSamples <= reply.length; at += frameSamples) {
    const frame = reply.subarray(at, at + frameSamples);
    if (frame.some((x) => x !== 0)) kept.push(frame);
  }
  const out = new Int16Array(kept.length * frameSamples);
  kept.forEach((frame, k) => out.set(frame, k * frameSamples));
  return out;
}
