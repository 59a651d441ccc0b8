import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonBody } from '../../http/read-json-body.js';
import { sendError, sendJson } from '../../http/respond.js';
import type { GatewayComponent } from '../../http/routes.js';
import type { SessionHost } from '../../session/session-host.js';
import { isValidSessionId } from '../message-fields.js';
import { serveConnection } from '../socket-connection.js';
import { FastRtcSerializer } from './fastrtc-serializer.js';
import { grantCheckingSerializer } from '../../auth/grant-checking-serializer.js';
import { requestGrant } from '../../auth/request-grant.js';
import { allowsSession } from '../../auth/token-claims.js';

/**
 * FastRTC's endpoints: `WS /websocket/offer` (audio sessions), `POST /input` (set_input) and
 * `GET /outputs?webrtc_id=` (additional outputs as server-sent events).
 */
export function fastRtcComponent(host: SessionHost): GatewayComponent {
  return {
    name: 'fastrtc',
    wsRoutes: [
      {
        path: '/websocket/offer',
        access: 'talk',
        // ws enforces a hard cap; messages between maxPayloadBytes and the cap get a coded error instead.
        maxPayload: host.options.maxPayloadBytes * 4,
        onConnection: (socket, req) => serveConnection(socket, req, host, grantCheckingSerializer(new FastRtcSerializer(), requestGrant(req)), { carrierConfirmsMarks: false }),
      },
    ],
    httpRoutes: [
      { method: 'POST', path: '/input', access: 'input', handle: (req, res) => postInput(host, req, res) },
      { method: 'GET', path: '/outputs', access: 'input', handle: (req, res, url) => getOutputs(host, req, res, url) },
    ],
  };
}

async function postInput(host: SessionHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJsonBody(req, res, 64 * 1024);
  if (body === undefined) return;
  const id = body.webrtc_id;
  if (typeof id !== 'string' || !isValidSessionId(id)) {
    sendError(res, 'WG_ERR_INVALID_ID', `webrtc_id ${JSON.stringify(id ?? null)}`);
    return;
  }
  if (!allowsSession(requestGrant(req), id)) return sendError(res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
  const session = host.registry.get(id);
  if (!session) {
    sendError(res, 'WG_ERR_SESSION_NOT_FOUND', id);
    return;
  }
  const { webrtc_id: _, ...args } = body;
  session.setInput(args);
  sendJson(res, 200, { status: 'success' });
}

function getOutputs(host: SessionHost, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const id = url.searchParams.get('webrtc_id') ?? '';
  if (!allowsSession(requestGrant(req), id)) return sendError(res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
  const session = isValidSessionId(id) ? host.registry.get(id) : undefined;
  if (!session) {
    sendError(res, isValidSessionId(id) ? 'WG_ERR_SESSION_NOT_FOUND' : 'WG_ERR_INVALID_ID', id);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': connected\n\n');
  let dropped = 0;
  const unsubscribe = session.subscribeOutputs((data) => {
    // A reader that stalls loses outputs (counted in the stream) rather than growing our memory.
    if (res.writableLength > 256 * 1024) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      res.write(`event: dropped\ndata: ${dropped}\n\n`);
      dropped = 0;
    }
    res.write(`event: output\ndata: ${JSON.stringify(data)}\n\n`);
  });
  const end = () => {
    unsubscribe();
    res.end();
  };
  session.signal.addEventListener('abort', end, { once: true });
  req.on('close', () => {
    unsubscribe();
    session.signal.removeEventListener('abort', end);
  });
}
