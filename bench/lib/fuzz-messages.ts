import fc from 'fast-check';

/**
 * Structure-aware fuzz input for the gateway's wire contracts (docs/protocol.md, docs/telephony.md,
 * docs/signaling.md, docs/webrtc.md, docs/recordings.md): valid messages of each protocol, then
 * mutations of them — a field set to a wrong type, a huge or deeply nested value, a missing field,
 * `__proto__` / `constructor` / `prototype` keys — plus truncated JSON, binary garbage and invalid
 * UTF-8 in text frames. Shared by the property tests in `npm test` (test/fuzz-*.test.ts, seeded) and
 * `npm run fuzz` (bench/fuzz.ts, 10⁶ messages against a gateway process). See docs/security.md, "Fuzzing".
 */
export type WsTarget = 'fastrtc' | 'carrier-detect' | 'twilio' | 'telnyx' | 'plivo' | 'signaling';

export const WS_TARGETS: readonly WsTarget[] = ['fastrtc', 'carrier-detect', 'twilio', 'telnyx', 'plivo', 'signaling'];

export const WS_PATHS: Record<WsTarget, string> = {
  fastrtc: '/websocket/offer',
  'carrier-detect': '/telephone/handler',
  twilio: '/telephone/twilio',
  telnyx: '/telephone/telnyx',
  plivo: '/telephone/plivo',
  signaling: '/ws/call/',
};

/** One WebSocket message: text (sent as a text frame; `invalidUtf8` bytes too) or binary. */
export type WsMessage = { readonly kind: 'text'; readonly data: string } | { readonly kind: 'binary'; readonly data: Uint8Array } | { readonly kind: 'bad-utf8'; readonly data: Uint8Array };

/** How a connection ends after its messages: the protocol's stop, a normal close, a TCP reset, or left to the server. */
export type Ending = 'stop' | 'close' | 'terminate' | 'linger';

export interface WsScript {
  readonly target: WsTarget;
  readonly messages: readonly WsMessage[];
  readonly ending: Ending;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MULAW_SILENCE = Buffer.alloc(160, 0xff).toString('base64');

/** Valid messages of each protocol (the first is the one that opens the session), for connection `n`. */
export function validMessages(target: WsTarget, n: string): Json[] {
  const media = (seq: number) => ({ track: 'inbound', chunk: String(seq), timestamp: String(seq * 20), payload: MULAW_SILENCE });
  switch (target) {
    case 'fastrtc':
      return [
        { event: 'start', websocket_id: `fz-${n}`, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, handlerOptions: { gainDb: 0 } },
        { event: 'media', media: { payload: MULAW_SILENCE } },
        { event: 'media', media: { payload: MULAW_SILENCE }, sequenceNumber: 3, timestamp: 40 },
        { event: 'mark', mark: { name: 'm1' } },
        { event: 'ping' },
        { event: 'stop' },
      ];
    case 'carrier-detect':
    case 'twilio':
      return [
        { event: 'start', sequenceNumber: '1', streamSid: `MZ${n}`, start: { accountSid: 'AC0', streamSid: `MZ${n}`, callSid: 'CA0', tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: { a: 'b' } } },
        { event: 'connected', protocol: 'Call', version: '1.0.0' },
        { event: 'media', sequenceNumber: '2', streamSid: `MZ${n}`, media: media(1) },
        { event: 'dtmf', sequenceNumber: '3', streamSid: `MZ${n}`, dtmf: { track: 'inbound_track', digit: '5' } },
        { event: 'mark', sequenceNumber: '4', streamSid: `MZ${n}`, mark: { name: 'm1' } },
        { event: 'stop', sequenceNumber: '5', streamSid: `MZ${n}`, stop: { accountSid: 'AC0', callSid: 'CA0' } },
      ];
    case 'telnyx':
      return [
        { event: 'start', sequence_number: '1', stream_id: `st-${n}`, start: { call_control_id: 'c', custom_parameters: {}, media_format: { encoding: 'PCMU', sample_rate: 8000, channels: 1 } } },
        { event: 'connected', version: '1.0.0' },
        { event: 'media', sequence_number: '2', stream_id: `st-${n}`, media: media(1) },
        { event: 'dtmf', sequence_number: '3', stream_id: `st-${n}`, dtmf: { digit: '1' } },
        { event: 'mark', sequence_number: '4', stream_id: `st-${n}`, mark: { name: 'm1' } },
        { event: 'stop', sequence_number: '5', stream_id: `st-${n}`, stop: { call_control_id: 'c' } },
      ];
    case 'plivo':
      return [
        { event: 'start', sequenceNumber: 1, start: { callId: 'c', streamId: `ps-${n}`, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000 } }, extra_headers: 'a=b' },
        { event: 'media', sequenceNumber: 2, streamId: `ps-${n}`, media: { track: 'inbound', timestamp: '1705312200000', chunk: 1, payload: MULAW_SILENCE } },
        { event: 'dtmf', sequenceNumber: 3, streamId: `ps-${n}`, dtmf: { track: 'inbound', digit: '2', timestamp: '1705312250000' } },
        { event: 'playedStream', sequenceNumber: 4, streamId: `ps-${n}`, name: 'm1' },
        { event: 'stop', sequenceNumber: 5, streamId: `ps-${n}` },
      ];
    case 'signaling':
      return [
        { type: 'login', data: { name: `fz${n}` } },
        { type: 'call', data: { name: `fz${n}x`, rtcMessage: { type: 'offer', sdp: 'v=0' } } },
        { type: 'answer_call', data: { caller: `fz${n}y`, rtcMessage: { type: 'answer', sdp: 'v=0' } } },
        { type: 'ICEcandidate', data: { user: `fz${n}x`, rtcMessage: { label: 0, id: '0', candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' } } },
        { type: 'hangup', data: { name: `fz${n}x` } },
      ];
  }
}

/** A JSON text nested `depth` deep (arrays or objects). */
function deepText(depth: number, object: boolean): string {
  return object ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth);
}

const nastyStrings = fc.constantFrom('', '..', '../../etc/passwd', '\u0000', '\ud800', '😀'.repeat(50), 'a'.repeat(129), '%00', '<script>', '1e999', '-1', 'NaN', 'null', '__proto__', 'constructor');

/** A value of the wrong kind, or of the right kind at an extreme. */
export const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: nastyStrings },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53 + 2, 65_536, 4_294_967_296)) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxLength: 5 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((k) => 'A'.repeat(2 ** k * 64)) },
);

type Mutation =
  | { kind: 'set'; at: number; value: Json }
  | { kind: 'delete'; at: number }
  | { kind: 'poison'; key: '__proto__' | 'constructor' | 'prototype'; at: number; value: Json };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('poison' as const), key: fc.constantFrom('__proto__' as const, 'constructor' as const, 'prototype' as const), at: fc.nat(), value: hostileValue }) },
);

/** The objects inside `root` (itself included), for picking where a mutation lands. */
function objectsOf(root: Json, out: Array<{ [key: string]: Json }> = []): Array<{ [key: string]: Json }> {
  if (root !== null && typeof root === 'object' && !Array.isArray(root)) {
    out.push(root);
    for (const value of Object.values(root)) objectsOf(value, out);
  }
  return out;
}

/** `message` with the mutations applied (a deep copy; own `__proto__` keys are made with defineProperty). */
export function mutate(message: Json, mutations: readonly Mutation[]): Json {
  const copy = JSON.parse(JSON.stringify(message)) as Json;
  for (const m of mutations) {
    // A fresh copy of the value: generated objects may be shared between samples.
    const value = m.kind === 'delete' ? null : (JSON.parse(JSON.stringify(m.value) ?? 'null') as Json);
    const objects = objectsOf(copy);
    if (objects.length === 0) break;
    const target = objects[m.at % objects.length]!;
    const keys = Object.keys(target);
    if (m.kind === 'poison') {
      Object.defineProperty(target, m.key, { value, enumerable: true, writable: true, configurable: true });
    } else if (keys.length > 0) {
      const key = keys[m.at % keys.length]!;
      if (m.kind === 'delete') delete target[key];
      else target[key] = value;
    }
  }
  return copy;
}

/** One message of `target`'s protocol for connection `n`: valid, mutated, or raw garbage. */
export function wsMessage(target: WsTarget, n: string): fc.Arbitrary<WsMessage> {
  const valid = validMessages(target, n);
  const pick = fc.nat({ max: valid.length - 1 }).map((i) => valid[i]!);
  const text = (data: string): WsMessage => ({ kind: 'text', data });
  return fc.oneof(
    { weight: 20, arbitrary: pick.map((m) => text(JSON.stringify(m))) },
    { weight: 40, arbitrary: fc.tuple(pick, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([m, ms]) => text(JSON.stringify(mutate(m, ms)))) },
    { weight: 10, arbitrary: fc.tuple(pick, fc.nat()).map(([m, cut]) => { const s = JSON.stringify(m); return text(s.slice(0, cut % s.length)); }) },
    { weight: 5, arbitrary: fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean()).map(([d, o]) => text(deepText(d, o))) },
    { weight: 5, arbitrary: fc.string({ maxLength: 200 }).map(text) },
    { weight: 10, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((data): WsMessage => ({ kind: 'binary', data })) },
    // Rare: each of these ends the connection (over the size limits: 1009; invalid UTF-8: 1007).
    { weight: 1, arbitrary: fc.constantFrom(300_000, 1_200_000).map((n): WsMessage => ({ kind: 'binary', data: new Uint8Array(n) })) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b): WsMessage => ({ kind: 'bad-utf8', data: Uint8Array.from([...b, 0xc3, 0x28]) })) },
  );
}

/** A connection: often the valid opening message first, then fuzzed messages, then an ending. */
export function wsScript(n: string, maxMessages = 40, only?: WsTarget): fc.Arbitrary<WsScript> {
  return (only ? fc.constant(only) : fc.constantFrom(...WS_TARGETS)).chain((target) =>
    fc.record({
      target: fc.constant(target),
      opening: fc.integer({ min: 0, max: 9 }).map((k) => k > 0),
      body: fc.array(wsMessage(target, n), { minLength: Math.floor(maxMessages / 3), maxLength: maxMessages }),
      ending: fc.constantFrom<Ending>('stop', 'close', 'terminate', 'linger'),
    }).map(({ target, opening, body, ending }) => ({
      target,
      messages: opening ? [{ kind: 'text' as const, data: JSON.stringify(validMessages(target, n)[0]) }, ...body] : body,
      ending,
    })),
  );
}

/** One HTTP request: method, path with query, headers, body. */
export interface HttpProbe {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | Uint8Array | undefined;
}

const ids = fc.oneof(fc.constantFrom('by-rec', 'fz-1', '', '..', '%2e%2e', '%00', 'a'.repeat(300), '../../etc/passwd', 'x.wav', '%'), fc.string({ maxLength: 20 }).map(encodeURIComponent));

const rangeHeader = fc.oneof(
  fc.constantFrom('bytes=0-', 'bytes=-1', 'bytes=0-0', 'bytes=-0', 'bytes=999999999-', 'bytes=5-1', 'bytes=0-1,2-3,4-5', 'bytes=,', 'bytes=--1', 'items=0-1', 'bytes=0-9007199254740993', 'bytes=' + '0-1,'.repeat(300)),
  fc.tuple(fc.integer({ min: -10, max: 1e7 }), fc.integer({ min: -10, max: 1e7 })).map(([a, b]) => `bytes=${a}-${b}`),
  fc.string({ maxLength: 30 }),
);

const jsonBody = (valid: Json): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(JSON.stringify(valid)),
    fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => JSON.stringify(mutate(valid, ms))),
    fc.nat().map((cut) => JSON.stringify(valid).slice(0, cut % (JSON.stringify(valid).length + 1))),
    fc.integer({ min: 1, max: 20_000 }).map((d) => deepText(d, true)),
    fc.string({ maxLength: 100 }),
  );

const OFFER_SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtpmap:111 opus/48000/2', 'a=mid:0', 'a=sendrecv', ''].join('\r\n');

/** HTTP requests at every route: ids, Range headers, JSON and form bodies, wrong methods. */
export const httpProbe: fc.Arbitrary<HttpProbe> = fc.oneof(
  fc.record({ method: fc.constantFrom('GET', 'HEAD'), path: ids.map((id) => `/recordings/${id}.wav`), headers: fc.record({ range: rangeHeader }), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('GET'), path: fc.tuple(ids, fc.oneof(fc.constant(''), fc.string({ maxLength: 10 }))).map(([id, pos]) => `/recordings/${id}.wav?pos=${encodeURIComponent(pos)}`), headers: fc.record({ 'if-range': fc.string({ maxLength: 20 }), range: rangeHeader }), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/input'), headers: fc.constant({ 'content-type': 'application/json' }), body: jsonBody({ webrtc_id: 'fz-1', value: 1 }) }),
  fc.record({ method: fc.constant('GET'), path: ids.map((id) => `/outputs?webrtc_id=${id}`), headers: fc.constant({}), body: fc.constant(undefined) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/webrtc/offer'), headers: fc.constant({ 'content-type': 'application/json' }), body: fc.oneof(jsonBody({ sdp: 'v=0\r\n', type: 'offer', webrtc_id: 'fz-w' }), jsonBody({ type: 'ice-candidate', webrtc_id: 'fz-w', candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0' } }), fc.nat().map((cut) => JSON.stringify({ sdp: OFFER_SDP.slice(0, cut % OFFER_SDP.length), type: 'offer', webrtc_id: `fz-w${cut}` }))) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/telephone/incoming'), headers: fc.constant({ 'content-type': 'application/x-www-form-urlencoded' }), body: fc.oneof(fc.constant('CallSid=CA1&From=%2B1555'), fc.string({ maxLength: 200 }), fc.constant('a=' + '%'.repeat(50))) }),
  fc.record({ method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'), path: fc.constantFrom('/', '/healthz', '/metrics', '/recordings', '/recordings/', '/sessions', '/talk/config.json', '/call/', '/call/config.json', '/call/stats.json', '/input', '/outputs', '/webrtc/offer', '/nope', '//', '/%', '/..%2f..%2fetc/passwd'), headers: fc.constant({}), body: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 50 })) }),
  fc.record({ method: fc.constant('POST'), path: fc.constant('/input'), headers: fc.constant({ 'content-type': 'application/json' }), body: fc.constantFrom(600_000, 2_000_000).map((n) => new Uint8Array(n).fill(0x20)) }),
);

/** Bytes written straight to a TCP socket after a WebSocket upgrade: truncated, masked wrongly, or noise. */
export const rawFrameBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  // A text frame header announcing more payload than follows.
  fc.tuple(fc.integer({ min: 10, max: 125 }), fc.uint8Array({ maxLength: 9 })).map(([len, body]) => Uint8Array.from([0x81, 0x80 | len, 1, 2, 3, 4, ...body])),
  // A 64-bit length of 2^62.
  fc.constant(Uint8Array.from([0x82, 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])),
  // Unmasked client frame, reserved bits, unknown opcode, fragmented control frame.
  fc.constantFrom(Uint8Array.from([0x81, 0x02, 0x68, 0x69]), Uint8Array.from([0xf1, 0x80, 0, 0, 0, 0]), Uint8Array.from([0x83, 0x80, 0, 0, 0, 0]), Uint8Array.from([0x09, 0x80, 0, 0, 0, 0])),
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
);
