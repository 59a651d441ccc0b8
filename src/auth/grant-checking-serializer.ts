import { WavegateError } from '../errors/wavegate-error.js';
import type { InboundEvent, OutboundMessage, Serializer } from '../transport/wire-events.js';
import { allowsSession, handlerOptionsRefusal, type AccessGrant } from './token-claims.js';

/**
 * A serializer that checks the connection's access grant where the session id first appears: the
 * `start` message. A start for another id than the token's `sub`, or with handler options beyond its
 * caps, is refused with WG_ERR_FORBIDDEN, which closes the connection (4003) before any session opens.
 * Without a grant (tokens off) it is the inner serializer unchanged.
 */
export function grantCheckingSerializer(inner: Serializer, grant: AccessGrant | undefined, onRefused?: (code: 'WG_ERR_FORBIDDEN', reason: string) => void): Serializer {
  if (grant === undefined) return inner;
  const refuse = (reason: string): never => {
    onRefused?.('WG_ERR_FORBIDDEN', reason); // the refusal log (docs/security.md#what-is-logged)
    throw new WavegateError('WG_ERR_FORBIDDEN', reason);
  };
  return {
    get name() {
      return inner.name;
    },
    parse(data: Buffer, isBinary: boolean): InboundEvent {
      const event = inner.parse(data, isBinary);
      if (event.type === 'start') {
        if (!allowsSession(grant, event.sessionId)) refuse(`the token is for another session than ${JSON.stringify(event.sessionId)}`);
        const refusal = handlerOptionsRefusal(grant, event.handlerOptions);
        if (refusal !== undefined) refuse(refusal);
      }
      return event;
    },
    serialize: (message: OutboundMessage) => inner.serialize(message),
  };
}
