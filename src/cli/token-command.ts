import { parseArgs } from 'node:util';
import { createToken } from '../auth/access-token.js';
import { isTokenScope, TOKEN_SCOPES, type HandlerOptionCap, type TokenScope } from '../auth/token-claims.js';

const HELP = `usage: wavegate token --scope SCOPE [options]

Prints an access token (JWT, HS256) for a gateway run with --auth-secret (docs/security.md).

  --scope SCOPE          ${TOKEN_SCOPES.join(', ')}; repeatable or comma-separated
  --id ID                the one session id (webrtc_id) it may open or address (claim sub; default any)
  --name NAME            the one call-signaling name it may log in as (default any)
  --room ROOM            the one room its sessions may join (claim room; default any room, or none)
  --ttl S                lifetime in seconds (default 600)
  --cap KEY=JSON         handler option the client may set: KEY=true (any value), KEY=[1,2] (one of),
                         KEY={"min":-12,"max":12}; repeatable (default: no caps beyond the gateway's)
  --secret SECRET        the gateway's --auth-secret; default WAVEGATE_AUTH_SECRET from the environment
`;

export async function runToken(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scope: { type: 'string', multiple: true },
      id: { type: 'string' },
      name: { type: 'string' },
      room: { type: 'string' },
      ttl: { type: 'string', default: '600' },
      cap: { type: 'string', multiple: true },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const secret = values.secret ?? process.env.WAVEGATE_AUTH_SECRET;
  if (!secret) throw new Error('wavegate token: give --secret or set WAVEGATE_AUTH_SECRET (the gateway\'s --auth-secret)');
  const scope = (values.scope ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);
  if (scope.length === 0) throw new Error(`wavegate token: --scope is required (${TOKEN_SCOPES.join(', ')})`);
  const bad = scope.find((s) => !isTokenScope(s));
  if (bad !== undefined) throw new Error(`wavegate token: unknown scope ${JSON.stringify(bad)} (${TOKEN_SCOPES.join(', ')})`);
  const ttlS = Number(values.ttl);
  if (!Number.isFinite(ttlS) || ttlS <= 0) throw new Error(`--ttl expects a number of seconds > 0, got ${JSON.stringify(values.ttl)}`);
  let handlerOptions: Record<string, HandlerOptionCap> | undefined;
  for (const cap of values.cap ?? []) {
    const eq = cap.indexOf('=');
    if (eq <= 0) throw new Error(`--cap expects KEY=JSON, got ${JSON.stringify(cap)}`);
    let value: unknown;
    try {
      value = JSON.parse(cap.slice(eq + 1));
    } catch {
      throw new Error(`--cap ${cap.slice(0, eq)}: the value is not JSON`);
    }
    handlerOptions ??= {};
    handlerOptions[cap.slice(0, eq)] = value as HandlerOptionCap;
  }
  const token = await createToken({
    secret,
    scope: scope as TokenScope[],
    ttlS,
    ...(values.id !== undefined && { sub: values.id }),
    ...(values.name !== undefined && { name: values.name }),
    ...(values.room !== undefined && { room: values.room }),
    ...(handlerOptions !== undefined && { handlerOptions }),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}
