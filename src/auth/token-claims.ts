/**
 * What an access token may do (docs/security.md#access-tokens). Pure: the claims of a verified JWT
 * become an AccessGrant, and the checks below answer what a grant allows.
 */
export const TOKEN_SCOPES = ['talk', 'call', 'recordings', 'input', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/**
 * A handler-option cap: `true` lets the client set any value, an array lists the values it may set,
 * `{ min, max }` bounds a number. Options the claim does not name cannot be set at all.
 */
export type HandlerOptionCap = true | readonly (string | number | boolean)[] | { readonly min?: number; readonly max?: number };

export interface AccessGrant {
  readonly scopes: ReadonlySet<TokenScope>;
  /** The one session id (webrtc_id) the token may open or address; undefined = any. */
  readonly sub: string | undefined;
  /** The one call-signaling name it may log in as; undefined = any. */
  readonly name: string | undefined;
  /** The one room its sessions may join (docs/rooms.md); undefined = any room, or none. */
  readonly room: string | undefined;
  /** Caps on what the client may put in `handlerOptions`; undefined = only the gateway's own rules. */
  readonly handlerOptions: Readonly<Record<string, HandlerOptionCap>> | undefined;
  /** Expiry, ms since the epoch. */
  readonly expiresAtMs: number;
}

/** Room ids follow the session id pattern (docs/rooms.md), checked again where the room is joined. */
const ROOM_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/** The grant of a verified payload, or the reason its claims are unusable. */
export function grantFromClaims(payload: Readonly<Record<string, unknown>>): AccessGrant | string {
  const { exp, sub, scope, name, room, handlerOptions } = payload;
  if (typeof exp !== 'number') return 'exp claim missing';
  if (!Array.isArray(scope) || scope.length === 0 || !scope.every(isTokenScope)) return `scope must be a non-empty array of ${TOKEN_SCOPES.join(', ')}`;
  if (sub !== undefined && (typeof sub !== 'string' || sub.length === 0)) return 'sub must be a non-empty string';
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) return 'name must be a non-empty string';
  if (room !== undefined && (typeof room !== 'string' || !ROOM_ID.test(room) || room.includes('..'))) return 'room must be a room id (1–128 of A–Z a–z 0–9 _ - . :)';
  const caps = handlerOptions === undefined ? undefined : checkCaps(handlerOptions);
  if (typeof caps === 'string') return caps;
  return { scopes: new Set(scope), sub, name, room, handlerOptions: caps, expiresAtMs: exp * 1000 };
}

function checkCaps(value: unknown): Record<string, HandlerOptionCap> | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'handlerOptions must be an object of caps';
  const caps: Record<string, HandlerOptionCap> = Object.create(null);
  for (const [key, cap] of Object.entries(value)) {
    const ok =
      cap === true ||
      (Array.isArray(cap) && cap.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) ||
      (typeof cap === 'object' && cap !== null && !Array.isArray(cap) && Object.entries(cap).every(([k, v]) => (k === 'min' || k === 'max') && typeof v === 'number'));
    if (!ok) return `handlerOptions.${key} must be true, an array of values, or { min, max }`;
    caps[key] = cap as HandlerOptionCap;
  }
  return caps;
}

/** True when the grant may open or address session `id`. */
export function allowsSession(grant: AccessGrant | undefined, id: string): boolean {
  return grant === undefined || grant.sub === undefined || grant.sub === id;
}

/**
 * Undefined when the grant lets a session join `room` (undefined: the session joins none), else why
 * not. A token with a `room` claim opens sessions in that room only: another room, or none (the
 * gateway's own handler), is refused.
 */
export function roomRefusal(grant: AccessGrant | undefined, room: string | undefined): string | undefined {
  if (grant?.room === undefined || grant.room === room) return undefined;
  return room === undefined ? `the token is for room ${JSON.stringify(grant.room)}; this session joins no room` : `the token is for room ${JSON.stringify(grant.room)}, not ${JSON.stringify(room.slice(0, 140))}`;
}

/** True when the grant may log in to call signaling as `name`. */
export function allowsName(grant: AccessGrant | undefined, name: string): boolean {
  return grant === undefined || grant.name === undefined || grant.name === name;
}

/** Undefined when every option the client set is within the grant's caps, else what is not. */
export function handlerOptionsRefusal(grant: AccessGrant | undefined, options: Readonly<Record<string, unknown>> | undefined): string | undefined {
  if (grant?.handlerOptions === undefined || options === undefined) return undefined;
  for (const [key, value] of Object.entries(options)) {
    const cap = Object.hasOwn(grant.handlerOptions, key) ? grant.handlerOptions[key] : undefined;
    if (cap === undefined) return `the token does not let the client set handler option ${JSON.stringify(key)}`;
    if (cap === true) continue;
    if (Array.isArray(cap)) {
      if (!cap.includes(value as string | number | boolean)) return `handler option ${JSON.stringify(key)} may be one of ${JSON.stringify(cap)}`;
      continue;
    }
    const { min, max } = cap as { min?: number; max?: number };
    if (typeof value !== 'number' || !Number.isFinite(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) {
      return `handler option ${JSON.stringify(key)} must be a number${min !== undefined ? ` ≥ ${min}` : ''}${max !== undefined ? ` ≤ ${max}` : ''}`;
    }
  }
  return undefined;
}
