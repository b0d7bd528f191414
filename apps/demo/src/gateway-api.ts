import { ApiErrorBodySchema } from '@jobcast/contracts';

/** What the page needs from a zod schema. */
export interface Parser<T> {
  parse(input: unknown): T;
}

/** An HTTP call that failed: `code` is the gateway's error code, or UNREACHABLE / INVALID_RESPONSE. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The gateways' HTTP API. A call goes to the gateway the socket is connected to, else the page's own;
 * only when a gateway cannot be reached at all does it try the next one (every call is safe to repeat:
 * a submit carries an idempotency key).
 */
export class GatewayApi {
  token: string | undefined;

  constructor(
    private readonly urls: readonly string[],
    private readonly preferred: () => string | undefined,
  ) {}

  async request<T>(method: 'GET' | 'POST', path: string, parser: Parser<T>, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const preferred = this.preferred();
    const order = [...new Set([...(preferred ? [preferred] : []), ...this.urls])];
    for (const base of order) {
      let response: Response;
      try {
        response = await fetch(base + path, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch {
        continue;
      }
      const payload: unknown = await response.json().catch(() => undefined);
      if (!response.ok) {
        const error = ApiErrorBodySchema.safeParse(payload);
        throw error.success
          ? new ApiCallError(error.data.error.code, error.data.error.message)
          : new ApiCallError(`HTTP_${response.status}`, `${method} ${path} answered ${response.status}`);
      }
      try {
        return parser.parse(payload);
      } catch {
        throw new ApiCallError('INVALID_RESPONSE', `${method} ${path} answered something unexpected`);
      }
    }
    throw new ApiCallError('UNREACHABLE', `No gateway answered ${method} ${path} (tried ${order.join(', ')})`);
  }
}
