// Test helper (not a test): FastRTC WebSocket sessions against gateway processes of one cluster.
import { encodeMulaw } from '../src/codecs/g711.js';
import { WsTestClient } from './support/ws-test-client.js';

const FRAME = Buffer.from(encodeMulaw(new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin(i / 5))))).toString('base64');
export const MEDIA = { event: 'media', media: { payload: FRAME } };

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace('http', 'ws')}/websocket/offer`;
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A FastRTC session that sends one 20 ms μ-law frame every 20 ms (the gateway echoes them). */
export class EchoSession {
  private timer: NodeJS.Timeout | undefined;
  sent = 0;

  private constructor(
    readonly id: string,
    readonly client: WsTestClient,
  ) {}

  static async open(httpUrl: string, id: string): Promise<EchoSession> {
    const client = await WsTestClient.connect(wsUrl(httpUrl));
    client.send({ event: 'start', websocket_id: id });
    const session = new EchoSession(id, client);
    session.timer = setInterval(() => {
      if (client.socket.readyState !== client.socket.OPEN) return;
      client.send(MEDIA);
      session.sent++;
    }, 20);
    return session;
  }

  /** Media messages echoed back so far. */
  get echoed(): number {
    return this.client.messages.filter((m) => !Buffer.isBuffer(m) && m.event === 'media').length;
  }

  /** Resolves once `n` more frames have been echoed (the session is alive and echoing). */
  async echoes(n = 10, timeoutMs = 10_000): Promise<void> {
    const start = this.echoed;
    await until(() => this.echoed >= start + n || this.client.closeCode !== undefined, timeoutMs, `${this.id} echoing`);
    if (this.client.closeCode !== undefined) throw new Error(`${this.id} closed ${this.client.closeCode} ${this.client.closeReason}: ${JSON.stringify(this.client.json().filter((m) => m.event !== 'media')).slice(0, 400)}`);
  }

  /** The first non-media message (an error or a refusal) and the close code. */
  async refusal(): Promise<{ message: Record<string, any>; closeCode: number }> {
    const message = await this.client.waitFor((m) => m.event !== 'media');
    const closeCode = await this.client.waitClose();
    return { message, closeCode };
  }

  close(): void {
    clearInterval(this.timer);
    this.client.close();
  }

  stopSending(): void {
    clearInterval(this.timer);
  }
}

export async function sessionsOf(httpUrl: string): Promise<Array<Record<string, any>>> {
  const res = await fetch(`${httpUrl}/sessions`);
  const body = (await res.json()) as { sessions: Array<Record<string, any>> };
  return body.sessions;
}
