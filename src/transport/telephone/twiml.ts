/**
 * TwiML that connects a call to a bidirectional Media Stream (`<Connect><Stream>`, docs/telephony.md).
 * `<Parameter>`s reach the stream's `start.customParameters`, and so the handler's `ctx.phone`.
 * Pure string building; every attribute value is XML-escaped.
 */
export function connectStreamTwiml(streamUrl: string, parameters: Readonly<Record<string, string>> = {}, attributes: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${escapeXml(value)}"`)
    .join('');
  const params = Object.entries(parameters)
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  const stream = params === '' ? `<Stream url="${escapeXml(streamUrl)}"${extra}/>` : `<Stream url="${escapeXml(streamUrl)}"${extra}>${params}</Stream>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Connect>${stream}</Connect></Response>\n`;
}

/**
 * Plivo XML answering a call with a bidirectional audio stream to `streamUrl` (docs/telephony.md);
 * `extraHeaders` (`a=1;b=2`) reach the stream's start, and so `ctx.phone.customParameters`.
 */
export function plivoStreamXml(streamUrl: string, parameters: Readonly<Record<string, string>> = {}): string {
  const headers = Object.entries(parameters)
    .filter(([name, value]) => /^[A-Za-z0-9_-]+$/.test(name) && !/[;=]/.test(value))
    .map(([name, value]) => `${name}=${value}`)
    .join(';');
  const extra = headers === '' ? '' : ` extraHeaders="${escapeXml(headers)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000"${extra}>${escapeXml(streamUrl)}</Stream></Response>\n`;
}

export function escapeXml(text: string): string {
  // Control characters are not allowed in XML 1.0 at all; they are dropped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
