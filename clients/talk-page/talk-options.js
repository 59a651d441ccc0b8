// The talk page's options, from its own URL (docs/talk-page.md), and the token passed on to every request.

const params = new URLSearchParams(location.search);
export const options = {
  token: params.get('token'),
  /** `id=ID`: the session id to open, for a token whose `sub` names one (docs/security.md); default a random one. */
  id: params.get('id'),
  transport: params.get('transport'),
  /** `processing=off` turns off echo cancellation, noise suppression and gain control (music, test signals). */
  processing: params.get('processing') !== 'off',
  /** `room=NAME`: join that room (docs/rooms.md): everyone on the page with the same name hears the others. */
  room: params.get('room'),
  jitterTargetMs: Math.min(500, Math.max(0, Number(params.get('jitter') ?? 60) || 60)),
};

/** A relative URL with the page's token, if it has one. @param {string} path @param {Record<string,string>} [query] */
export function withToken(path, query = {}) {
  const url = new URL(path, location.href);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  if (options.token) url.searchParams.set('token', options.token);
  return url;
}

