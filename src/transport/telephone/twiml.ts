/**
 * TwiML that connects a call to a bidirectional Media Stream (`<Connect><Stream>`, docs/telephony.md).
 * `<Parameter>`s reach the stream's `start.customParameters`, and so the handler's `ctx.phone`.
 * Pure string building; every attribute value is XML-escaped.
 */
export function connectStreamTwiml(streamUrl: string, parameters: Readonly<Record<string, string>> = {}): string {
  const params = Object.entries(parameters)
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  const stream = params === '' ? `<Stream url="${escapeXml(streamUrl)}"/>` : `<Stream url="${escapeXml(streamUrl)}">${params}</Stream>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Connect>${stream}</Connect></Response>\n`;
}

export function escapeXml(text: string): string {
  // Control characters are not allowed in XML 1.0 at all; they are dropped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
