import { createHmac } from 'node:crypto';

/**
 * ICE servers handed to call pages, from gateway configuration only (nothing third-party is built
 * in; on loopback or one LAN an empty list works). A TURN server without its own credentials gets
 * time-limited ones in coturn's shared-secret scheme (`use-auth-secret` / `static-auth-secret`):
 * username `EXPIRY_UNIX:wavegate`, credential base64(HMAC-SHA1(secret, username)).
 */
export interface IceServer {
  readonly urls: readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

const ICE_URL = /^(stun|stuns|turn|turns):[^\s]+$/;

/**
 * Reads one `--ice-server` value: a STUN/TURN URI (`stun:host:3478`, `turn:host:3478?transport=udp`)
 * or a JSON RTCIceServer (`{"urls":["turn:…"],"username":"u","credential":"p"}`).
 */
export function parseIceServer(value: string): IceServer {
  const text = value.trim();
  if (text.startsWith('{')) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new TypeError(`ICE server ${JSON.stringify(value)} is not valid JSON: ${(err as Error).message}`);
    }
    return checkIceServer(raw);
  }
  return checkIceServer({ urls: [text] });
}

export function checkIceServer(raw: unknown): IceServer {
  const bad = (why: string) => new TypeError(`ICE server ${JSON.stringify(raw)} ${why}`);
  if (typeof raw !== 'object' || raw === null) throw bad('must be an object with urls');
  const o = raw as Record<string, unknown>;
  const urls = typeof o['urls'] === 'string' ? [o['urls']] : o['urls'];
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((u) => typeof u === 'string' && ICE_URL.test(u))) {
    throw bad('needs urls: stun:, stuns:, turn: or turns: URIs');
  }
  for (const key of ['username', 'credential'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'string') throw bad(`has a non-string ${key}`);
  }
  if ((o['username'] === undefined) !== (o['credential'] === undefined)) throw bad('needs both username and credential, or neither');
  return {
    urls: urls as string[],
    ...(typeof o['username'] === 'string' && { username: o['username'] }),
    ...(typeof o['credential'] === 'string' && { credential: o['credential'] }),
  };
}

export const isTurn = (server: IceServer): boolean => server.urls.some((u) => u.startsWith('turn:') || u.startsWith('turns:'));

/** coturn REST-API credentials valid until `nowMs + ttlS`. */
export function turnCredentials(secret: string, ttlS: number, nowMs: number): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + Math.floor(ttlS)}:wavegate`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The list a page gets now: TURN servers without credentials get fresh shared-secret ones. */
export function iceServersForPage(servers: readonly IceServer[], turnSecret: string | null, ttlS: number, nowMs: number): IceServer[] {
  return servers.map((server) => {
    if (server.username !== undefined || turnSecret === null || !isTurn(server)) return server;
    return { ...server, ...turnCredentials(turnSecret, ttlS, nowMs) };
  });
}

/** Checks the ICE configuration as a whole: a TURN server needs credentials or a shared secret. */
export function checkIceConfig(servers: readonly IceServer[], turnSecret: string | null): void {
  for (const server of servers) {
    if (isTurn(server) && server.username === undefined && turnSecret === null) {
      throw new TypeError(`TURN server ${server.urls.join(',')} needs a username and credential (JSON form) or --turn-secret`);
    }
  }
  if (turnSecret !== null && (typeof turnSecret !== 'string' || turnSecret.length === 0)) {
    throw new TypeError(`Expected \`turnSecret\` to be null or a non-empty string, got \`${String(turnSecret)}\``);
  }
}
