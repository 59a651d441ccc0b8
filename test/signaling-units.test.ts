import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { IDLE, onPeerEvent, onRequest, type CallState } from '../src/signaling/call-state.js';
import { checkIceConfig, iceServersForPage, parseIceServer, turnCredentials } from '../src/signaling/ice-servers.js';
import { parseClientMessage } from '../src/signaling/signaling-messages.js';

const rtc = { type: 'offer', sdp: 'v=0' };

describe('parseClientMessage (pure)', () => {
  it('accepts the seed client\'s four messages and hangup', () => {
    expect(parseClientMessage('{"type":"login","data":{"name":"ana"}}')).toEqual({ ok: true, message: { type: 'login', data: { name: 'ana' } } });
    expect(parseClientMessage(JSON.stringify({ type: 'call', data: { name: 'bo', rtcMessage: rtc } }))).toMatchObject({ ok: true, message: { data: { name: 'bo', rtcMessage: rtc } } });
    expect(parseClientMessage(JSON.stringify({ type: 'answer_call', data: { caller: 'ana', rtcMessage: rtc } }))).toMatchObject({ ok: true });
    expect(parseClientMessage(JSON.stringify({ type: 'ICEcandidate', data: { user: 'ana', rtcMessage: { label: 0, id: '0', candidate: 'c' } } }))).toMatchObject({ ok: true });
    expect(parseClientMessage('{"type":"hangup"}')).toEqual({ ok: true, message: { type: 'hangup', data: {} } });
    expect(parseClientMessage('{"type":"hangup","data":{"name":"bo"}}')).toEqual({ ok: true, message: { type: 'hangup', data: { name: 'bo' } } });
  });

  it('names the problem with a code', () => {
    expect(parseClientMessage('nope')).toMatchObject({ ok: false, code: 'WG_ERR_MALFORMED_JSON' });
    expect(parseClientMessage('"login"')).toMatchObject({ ok: false, code: 'WG_ERR_MALFORMED_MESSAGE' });
    expect(parseClientMessage('{"type":"logout"}')).toMatchObject({ ok: false, code: 'WG_ERR_UNKNOWN_EVENT', request: 'logout' });
    expect(parseClientMessage('{"type":"login","data":[]}')).toMatchObject({ ok: false, code: 'WG_ERR_MALFORMED_MESSAGE', request: 'login' });
    expect(parseClientMessage('{"type":"call","data":{"name":"x","rtcMessage":null}}')).toMatchObject({ ok: false, detail: /rtcMessage/ });
    expect(parseClientMessage('{"type":"hangup","data":{"name":7}}')).toMatchObject({ ok: false, detail: /data\.name/ });
    expect(parseClientMessage(JSON.stringify({ type: 'login', data: { name: 'ü'.repeat(64) } }))).toMatchObject({ ok: true });
    expect(parseClientMessage(JSON.stringify({ type: 'login', data: { name: 'a\u0000' } }))).toMatchObject({ ok: false });
  });
});

describe('call state (pure)', () => {
  const ringing: CallState = { phase: 'ringing', peer: 'ana' };
  const calling: CallState = { phase: 'calling', peer: 'bo' };
  const inCall: CallState = { phase: 'in_call', peer: 'bo' };
  const received = (from: string) => ({ type: 'call_received' as const, from, data: { caller: from, rtcMessage: rtc } });

  it('rings when idle, is busy otherwise, lets the current peer renegotiate', () => {
    expect(onPeerEvent(IDLE, received('ana'))).toEqual({ state: ringing, forward: true });
    expect(onPeerEvent(ringing, received('cy'))).toEqual({ state: ringing, forward: false, reply: 'busy' });
    expect(onPeerEvent(calling, received('bo'))).toEqual({ state: calling, forward: false, reply: 'busy' }); // glare
    expect(onPeerEvent(inCall, received('bo'))).toEqual({ state: inCall, forward: true });
  });

  it('takes answers, ICE, hangup and busy only from the peer', () => {
    const answered = { type: 'call_answered' as const, from: 'bo', data: { rtcMessage: rtc } };
    expect(onPeerEvent(calling, answered)).toEqual({ state: inCall, forward: true });
    expect(onPeerEvent(IDLE, answered)).toEqual({ state: IDLE, forward: false, reply: 'hangup' });
    const ice = (from: string) => ({ type: 'ICEcandidate' as const, from, data: { rtcMessage: {} } });
    expect(onPeerEvent(calling, ice('bo')).forward).toBe(true);
    expect(onPeerEvent(calling, ice('cy')).forward).toBe(false);
    expect(onPeerEvent(inCall, { type: 'hangup', from: 'bo', data: { name: 'bo', reason: 'hangup' } })).toEqual({ state: IDLE, forward: true });
    expect(onPeerEvent(inCall, { type: 'hangup', from: 'cy', data: { name: 'cy', reason: 'hangup' } })).toEqual({ state: inCall, forward: false });
    expect(onPeerEvent(calling, { type: 'busy', from: 'bo', data: { name: 'bo' } })).toEqual({ state: IDLE, forward: true });
    expect(onPeerEvent(inCall, { type: 'busy', from: 'bo', data: { name: 'bo' } })).toEqual({ state: inCall, forward: false });
  });

  it('checks requests against the state', () => {
    expect(onRequest('ana', IDLE, { type: 'call', data: { name: 'bo', rtcMessage: rtc } })).toEqual({ ok: true, state: calling, to: 'bo' });
    expect(onRequest('ana', calling, { type: 'call', data: { name: 'cy', rtcMessage: rtc } })).toMatchObject({ ok: false, code: 'WG_ERR_ALREADY_IN_CALL' });
    expect(onRequest('bo', ringing, { type: 'answer_call', data: { caller: 'ana', rtcMessage: rtc } })).toEqual({ ok: true, state: { phase: 'in_call', peer: 'ana' }, to: 'ana' });
    expect(onRequest('bo', ringing, { type: 'answer_call', data: { caller: 'cy', rtcMessage: rtc } })).toMatchObject({ ok: false, code: 'WG_ERR_NOT_IN_CALL' });
    expect(onRequest('ana', calling, { type: 'hangup', data: {} })).toEqual({ ok: true, state: IDLE, to: 'bo' });
    expect(onRequest('ana', calling, { type: 'hangup', data: { name: 'cy' } })).toMatchObject({ ok: false, code: 'WG_ERR_NOT_IN_CALL' });
    expect(onRequest('ana', IDLE, { type: 'hangup', data: {} })).toMatchObject({ ok: false, code: 'WG_ERR_NOT_IN_CALL' });
  });
});

describe('ICE servers', () => {
  it('parses URIs and JSON, refusing anything else with the offending value', () => {
    expect(parseIceServer('stun:stun.example.org:3478')).toEqual({ urls: ['stun:stun.example.org:3478'] });
    expect(parseIceServer('{"urls":"turns:t.example.org:5349","username":"u","credential":"p"}')).toEqual({ urls: ['turns:t.example.org:5349'], username: 'u', credential: 'p' });
    expect(() => parseIceServer('http://example.org')).toThrow(/http:\/\/example\.org/);
    expect(() => parseIceServer('{"urls":"turn:x","username":"u"}')).toThrow(/both username and credential/);
    expect(() => parseIceServer('{bad')).toThrow(/not valid JSON/);
    expect(() => checkIceConfig([parseIceServer('turn:t.example.org')], null)).toThrow(/--turn-secret/);
  });

  it('makes coturn shared-secret credentials (checked against openssl)', () => {
    const { username, credential } = turnCredentials('s3cret', 3600, 1_700_000_000_000);
    expect(username).toBe('1700003600:wavegate');
    const expected = execFileSync('sh', ['-c', `printf %s '${username}' | openssl dgst -sha1 -hmac s3cret -binary | base64`]).toString().trim();
    expect(credential).toBe(expected);
    const servers = [parseIceServer('stun:s.example.org'), parseIceServer('turn:t.example.org'), parseIceServer('{"urls":"turn:u.example.org","username":"a","credential":"b"}')];
    expect(iceServersForPage(servers, 's3cret', 3600, 1_700_000_000_000)).toEqual([
      { urls: ['stun:s.example.org'] },
      { urls: ['turn:t.example.org'], username, credential },
      { urls: ['turn:u.example.org'], username: 'a', credential: 'b' },
    ]);
  });
});
