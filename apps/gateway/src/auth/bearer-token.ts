/**
 * The token of an `Authorization: Bearer <token>` header, the one place the header is read: the HTTP guard,
 * SSE and the plain WebSocket's handshake. Undefined when there is no such header or it names another
 * scheme (SSE then looks at `?access_token=`); '' for a Bearer header without a token, which no check accepts.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const [scheme, token] = authorization.split(' ');
  return scheme?.toLowerCase() === 'bearer' ? (token ?? '') : undefined;
}
