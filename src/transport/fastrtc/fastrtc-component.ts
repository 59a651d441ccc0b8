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
import { refuseRequest } from '../../http/refuse-request.js';
import { requestClient } from '../../limits/request-client.js';
import { answerPreflight, corsHeaders } from '../webrtc/offer-cors.js';

/**
 * FastRTC's endpoints: `WS /websocket/offer` (audio sessions), `POST /input` (set_input) and
 * `GET /outputs?webrtc_id=` (additional outputs as server-sent events).
 */
export function fastRtcComponent(host: SessionHost): GatewayComponent {
  const cors = (req: IncomingMessage) => corsHeaders(req, host.options.webrtcAllowedOrigins);
  return {
    name: 'fastrtc',
    wsRoutes: [
      {
        path: '/websocket/offer',
        access: 'talk',
        // ws enforces a hard cap; messages between maxPayloadBytes and the cap get a coded error instead.
        maxPayload: host.options.maxPayloadBytes * 4,
        onConnection: (socket, req) =>
          serveConnection(socket, req, host, grantCheckingSerializer(new FastRtcSerializer(), requestGrant(req), (code, reason) => requestClient(req)?.refused?.(code, reason)), { carrierConfirmsMarks: false }),
      },
    ],
    // Pages allowed to post offers cross-origin (`--webrtc-allow-origin`) may steer and follow their sessions too.
    httpRoutes: [
      {
        method: ['POST', 'OPTIONS'],
        path: '/input',
        access: 'input',
        cors,
        handle: (req, res) => (req.method === 'OPTIONS' ? answerPreflight(req, res, host.options.webrtcAllowedOrigins) : postInput(host, req, res, cors(req))),
      },
      { method: 'GET', path: '/outputs', access: 'input', cors, handle: (req, res, url) => getOutputs(host, req, res, url, cors(req)) },
    ],
  };
}

async function postInput(host: SessionHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string> | undefined): Promise<void> {
  for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
  const body = await readJsonBody(req, res, 64 * 1024);
  if (body === undefined) return;
  const id = body.webrtc_id;
  if (typeof id !== 'string' || !isValidSessionId(id)) {
    sendError(res, 'WG_ERR_INVALID_ID', `webrtc_id ${JSON.stringify(id ?? null)}`);
    return;
  }
  if (!allowsSession(requestGrant(req), id)) return refuseRequest(req, res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
  const session = host.registry.get(id);
  const { webrtc_id: _, ...args } = body;
  if (!session) {
    // Another node of the cluster may hold it (docs/scale-out.md#routing).
    const remote = host.remote ? await host.remote.setInput(id, args) : 'not_found';
    if (remote === 'ok') sendJson(res, 200, { status: 'success' });
    else sendError(res, remote === 'unavailable' ? 'WG_ERR_OWNER_UNAVAILABLE' : 'WG_ERR_SESSION_NOT_FOUND', id);
    return;
  }
  session.setInput(args);
  sendJson(res, 200, { status: 'success' });
}

async function getOutputs(host: SessionHost, req: IncomingMessage, res: ServerResponse, url: URL, cors: Record<string, string> | undefined): Promise<void> {
  for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
  const id = url.searchParams.get('webrtc_id') ?? '';
  if (!allowsSession(requestGrant(req), id)) return refuseRequest(req, res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
  const session = isValidSessionId(id) ? host.registry.get(id) : undefined;
  if (!session && isValidSessionId(id) && host.remote) return remoteOutputs(host, req, res, id);
  if (!session) {
    sendError(res, isValidSessionId(id) ? 'WG_ERR_SESSION_NOT_FOUND' : 'WG_ERR_INVALID_ID', id);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.write(': connected\n\n');
  const { write } = outputWriter(res);
  const unsubscribe = session.subscribeOutputs(write);
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

/** `GET /outputs` of a session another node holds: the same stream, fed through the cluster's router. */
async function remoteOutputs(host: SessionHost, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const { write } = outputWriter(res);
  let gone = false;
  req.on('close', () => (gone = true));
  const unsubscribe = await host.remote!.subscribeOutputs(id, write, () => res.end());
  if (typeof unsubscribe === 'string') {
    sendError(res, unsubscribe === 'unavailable' ? 'WG_ERR_OWNER_UNAVAILABLE' : 'WG_ERR_SESSION_NOT_FOUND', id);
    return;
  }
  if (gone) return unsubscribe();
  req.on('close', unsubscribe);
  if (!res.headersSent) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(': connected\n\n');
  }
}

function outputWriter(res: ServerResponse): { write: (data: unknown) => void } {
  let dropped = 0;
  const write = (data: unknown) => {
    if (!res.headersSent) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write(': connected\n\n');
    }
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
  };
  return { write };
}
