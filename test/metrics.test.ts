import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { encodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parsePrometheus } from '../bench/load/server-process.js';
import { probeHandler } from './support/probe-handler.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

let gateway: Gateway;
let baseUrl: string;
let wsUrl: string;

beforeAll(async () => {
  // Limit 2: the third concurrent session is refused at admission.
  gateway = createGateway({ handler: probeHandler, port: 0, concurrencyLimit: 2 });
  const { url } = await gateway.listen();
  baseUrl = url;
  wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

async function scrape(): Promise<{ text: string; values: Map<string, number>; contentType: string | null }> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, values: parsePrometheus(text), contentType: response.headers.get('content-type') };
}

const v = (values: Map<string, number>, key: string): number => {
  const value = values.get(key);
  if (value === undefined) throw new Error(`metric ${key} missing`);
  return value;
};

/** 20 ms of a 440 Hz tone at 48 kHz as base64 μ-law (FastRTC's default input). */
function mulawFrames(count: number): string[] {
  const frames: string[] = [];
  for (let k = 0; k < count; k++) {
    const pcm = new Int16Array(960);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * 960 + i)) / 48_000));
    frames.push(Buffer.from(encodeMulaw(pcm)).toString('base64'));
  }
  return frames;
}

async function waitForMedia(client: WsTestClient, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (client.json().filter((m) => m.event === 'media').length < count) {
    if (Date.now() > deadline) throw new Error(`only ${client.json().filter((m) => m.event === 'media').length}/${count} media messages came back`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('GET /metrics (Prometheus text, prom-client)', () => {
  it('serves the exposition format, with HELP and TYPE for every family', async () => {
    const { text, values, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE wavegate_sessions_open gauge');
    expect(text).toContain('# TYPE wavegate_frames_received_total counter');
    expect(text).toContain('# HELP wavegate_jitter_concealed_samples_total webrtc-stats concealedSamples');
    expect(values.get('wavegate_sessions_open')).toBe(0);
    expect(v(values, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 2 ** 20);
    expect(v(values, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(values.has('wavegate_event_loop_delay_seconds{quantile="0.99"}')).toBe(true);
    const head = await fetch(`${baseUrl}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('moves during a live session and keeps the totals after it closes', async () => {
    const before = (await scrape()).values;
    const client = await WsTestClient.connect(wsUrl);
    onTestFinished(() => client.close()); // a failed assertion must not leave a session holding a slot
    client.send({ event: 'start', websocket_id: 'metrics-live-1' });
    const frames = mulawFrames(50);
    await sendPaced(frames.slice(0, 25), (payload) => client.send({ event: 'media', media: { payload } }));
    await waitForMedia(client, 15);

    const during = (await scrape()).values;
    expect(v(during, 'wavegate_sessions_open')).toBe(1);
    expect(v(during, 'wavegate_sessions_opened_total') - v(before, 'wavegate_sessions_opened_total')).toBe(1);
    expect(v(during, 'wavegate_frames_received_total') - v(before, 'wavegate_frames_received_total')).toBe(25);
    expect(v(during, 'wavegate_received_bytes_total') - v(before, 'wavegate_received_bytes_total')).toBe(25 * 960);
    expect(v(during, 'wavegate_messages_received_total') - v(before, 'wavegate_messages_received_total')).toBe(25);
    const sentDuring = v(during, 'wavegate_frames_sent_total') - v(before, 'wavegate_frames_sent_total');
    expect(sentDuring).toBeGreaterThanOrEqual(15);
    // 480 μ-law bytes per 20 ms frame at 24 kHz out.
    expect(v(during, 'wavegate_sent_bytes_total') - v(before, 'wavegate_sent_bytes_total')).toBe(sentDuring * 480);
    expect(v(during, 'wavegate_jitter_packets_received_total') - v(before, 'wavegate_jitter_packets_received_total')).toBe(25);
    expect(v(during, 'wavegate_jitter_buffer_emitted_count_total')).toBeGreaterThan(v(before, 'wavegate_jitter_buffer_emitted_count_total'));
    // A smooth stream is played out on arrival (its buffer delay may stay 0); the target delay never is.
    expect(v(during, 'wavegate_jitter_buffer_target_delay_seconds_total')).toBeGreaterThan(v(before, 'wavegate_jitter_buffer_target_delay_seconds_total'));
    expect(v(during, 'wavegate_jitter_total_samples_received_total')).toBeGreaterThan(v(before, 'wavegate_jitter_total_samples_received_total'));
    expect(v(during, 'wavegate_pacer_ticks_total')).toBeGreaterThan(v(before, 'wavegate_pacer_ticks_total'));

    await sendPaced(frames.slice(25), (payload) => client.send({ event: 'media', media: { payload } }));
    await waitForMedia(client, 40);
    const later = (await scrape()).values;
    expect(v(later, 'wavegate_frames_received_total') - v(during, 'wavegate_frames_received_total')).toBe(25);
    expect(v(later, 'wavegate_frames_sent_total')).toBeGreaterThan(v(during, 'wavegate_frames_sent_total'));

    client.send({ event: 'stop' });
    expect(await client.waitClose()).toBe(1000);
    // The registry removes a session a microtask after it ends; give the close a moment.
    let after = (await scrape()).values;
    for (let i = 0; i < 50 && v(after, 'wavegate_sessions_open') !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = (await scrape()).values;
    }
    expect(v(after, 'wavegate_sessions_open')).toBe(0);
    expect(v(after, 'wavegate_sessions_closed_total{reason="client_stop"}') - (before.get('wavegate_sessions_closed_total{reason="client_stop"}') ?? 0)).toBe(1);
    // Counters of the closed session are kept: nothing goes backwards.
    expect(v(after, 'wavegate_frames_received_total') - v(before, 'wavegate_frames_received_total')).toBe(50);
    expect(v(after, 'wavegate_frames_sent_total')).toBeGreaterThanOrEqual(v(later, 'wavegate_frames_sent_total'));
    expect(v(after, 'wavegate_jitter_packets_received_total')).toBeGreaterThanOrEqual(v(later, 'wavegate_jitter_packets_received_total'));
  });

  it('counts refusals by reason, undecodable frames, and handler errors', async () => {
    const before = (await scrape()).values;
    const refusedBefore = (reason: string) => before.get(`wavegate_sessions_refused_total{reason="${reason}"}`) ?? 0;

    // An L16 session receiving a payload with an odd byte count: dropped as undecodable, counted.
    const clients: WsTestClient[] = [];
    onTestFinished(() => clients.forEach((c) => c.close()));
    const l16 = await WsTestClient.connect(wsUrl);
    clients.push(l16);
    l16.send({ event: 'start', websocket_id: 'metrics-l16', mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 } });
    l16.send(Buffer.alloc(641));
    await l16.waitFor((m) => m.type === 'warning');

    // A second connection with the same id: refused as a duplicate.
    const duplicate = await WsTestClient.connect(wsUrl);
    clients.push(duplicate);
    duplicate.send({ event: 'start', websocket_id: 'metrics-l16' });
    await duplicate.waitClose();

    // A handler that throws on its 2nd frame ends its own session.
    const failing = await WsTestClient.connect(wsUrl);
    clients.push(failing);
    failing.send({ event: 'start', websocket_id: 'metrics-throws', handlerOptions: { throwOnFrame: 2 } });
    // Two sessions open now (limit 2): a third is refused.
    const third = await WsTestClient.connect(wsUrl);
    clients.push(third);
    third.send({ event: 'start', websocket_id: 'metrics-third' });
    await third.waitFor((m) => m.status === 'failed');
    await sendPaced(mulawFrames(5), (payload) => failing.send({ event: 'media', media: { payload } }));
    await failing.waitClose();
    l16.close();
    await l16.waitClose();

    let after = (await scrape()).values;
    for (let i = 0; i < 50 && v(after, 'wavegate_sessions_open') !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = (await scrape()).values;
    }
    expect(v(after, 'wavegate_sessions_refused_total{reason="duplicate_id"}') - refusedBefore('duplicate_id')).toBe(1);
    expect(v(after, 'wavegate_sessions_refused_total{reason="concurrency_limit"}') - refusedBefore('concurrency_limit')).toBe(1);
    expect(v(after, 'wavegate_frames_dropped_total{reason="undecodable"}') - v(before, 'wavegate_frames_dropped_total{reason="undecodable"}')).toBe(1);
    expect(v(after, 'wavegate_handler_errors_total') - v(before, 'wavegate_handler_errors_total')).toBe(1);
    expect(v(after, 'wavegate_sessions_closed_total{reason="handler_error"}') - (before.get('wavegate_sessions_closed_total{reason="handler_error"}') ?? 0)).toBe(1);
    expect(v(after, 'wavegate_sessions_open')).toBe(0);
  });
});
