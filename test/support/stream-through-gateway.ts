import { concatSamples } from '../../src/audio/concat-samples.js';
import { createDecoder, createEncoder } from '../../src/codecs/codec-factory.js';
import type { EncoderOptions } from '../../src/codecs/codec.js';
import type { MediaFormat } from '../../src/codecs/media-format.js';
import { sendPaced, WsTestClient } from './ws-test-client.js';

export interface StreamResult {
  output: Int16Array;
  client: WsTestClient;
}

/**
 * Streams `samples` (already at `format.sampleRate`) through a gateway session in real time, 20 ms
 * frames, as a wavegate client would (mediaFormat/outputFormat extension; binary for L16/Opus, base64
 * JSON for G.711), waits for the echo tail, stops, and returns the decoded output.
 */
export async function streamThroughGateway(
  wsUrl: string,
  id: string,
  samples: Int16Array,
  format: MediaFormat,
  extraStart: Record<string, unknown> = {},
  tailMs = 600,
  encoderOptions: Omit<EncoderOptions, 'frameMs'> = {},
): Promise<StreamResult> {
  const encoder = createEncoder(format, { ...encoderOptions, frameMs: 20 });
  const decoder = createDecoder(format);
  const frameSamples = (format.sampleRate * 20) / 1000;
  const payloads: Uint8Array[] = [];
  for (let i = 0; i < samples.length; i += frameSamples) {
    const chunk = new Int16Array(frameSamples);
    chunk.set(samples.subarray(i, i + frameSamples));
    payloads.push(encoder.encode(chunk));
  }
  encoder.close();
  const binary = format.encoding === 'audio/x-l16' || format.encoding === 'audio/opus';
  const client = await WsTestClient.connect(wsUrl);
  client.send({ event: 'start', websocket_id: id, mediaFormat: format, outputFormat: format, ...extraStart });
  await sendPaced(payloads, (payload) =>
    client.send(binary ? Buffer.from(payload as Uint8Array) : { event: 'media', media: { payload: Buffer.from(payload as Uint8Array).toString('base64') } }),
  );
  // Wait for the echo tail: until as many frames came back as went out, or nothing new has arrived
  // for a while (bounded). A busy machine can stall the gateway for hundreds of ms.
  const isMedia = (m: unknown) => Buffer.isBuffer(m) || (m as { event?: string }).event === 'media';
  const quietMs = 1500;
  const deadline = Date.now() + tailMs + 8000;
  let seen = client.messages.length;
  let lastChange = Date.now();
  while (Date.now() < deadline && Date.now() - lastChange < Math.max(quietMs, tailMs)) {
    if (client.messages.filter(isMedia).length >= payloads.length) break;
    await new Promise((r) => setTimeout(r, 50));
    if (client.messages.length !== seen) {
      seen = client.messages.length;
      lastChange = Date.now();
    }
  }
  await new Promise((r) => setTimeout(r, 100)); // the padded last frame of the spurt
  client.send({ event: 'stop' });
  await client.waitClose();
  const out = client.messages.map((m) => (Buffer.isBuffer(m) ? m : m.event === 'media' ? Buffer.from(m.media.payload, 'base64') : undefined));
  const output = concatSamples(out.filter((b): b is Buffer => b !== undefined).map((b) => decoder.decode(b)));
  decoder.close();
  return { output, client };
}
