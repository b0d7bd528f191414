import { ClientErrorCode, JobcastError } from './jobcast-error';
import { isApiErrorBody } from './wire-checks';

/** What a call needs from a zod schema to check the answer. */
export interface Parser<T> {
  parse(input: unknown): T;
}

export interface JobcastHttpOptions {
  /** Gateway base URLs, tried in order when one cannot be reached at all. */
  urls: readonly string[];
  token?: string;
  /** A gateway to try first, e.g. the one the client's socket is connected to. */
  preferred?: () => string | undefined;
  /** @default 30000 */
  timeoutMs?: number;
}

/**
 * The gateways' HTTP API, for the demo page and the CLI. A gateway that cannot be reached is skipped for the
 * next one (every call is safe to repeat: a submit can carry an idempotency key); any answer, error or not,
 * is final. Errors are `JobcastError`s: the gateway's code, `HTTP_<status>`, INVALID_RESPONSE or UNREACHABLE.
 */
export class JobcastHttp {
  token: string | undefined;

  constructor(private readonly options: JobcastHttpOptions) {
    this.token = options.token;
  }

  async request<T>(
    method: 'GET' | 'POST',
    path: string,
    parser: Parser<T>,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const preferred = this.options.preferred?.();
    const order = [...new Set([...(preferred ? [preferred] : []), ...this.options.urls])];
    const failures: string[] = [];
    for (const base of order) {
      let response: Response;
      try {
        response = await fetch(base + path, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
        });
      } catch (error) {
        failures.push(`${base}: ${describeFetchError(error)}`);
        continue;
      }
      const text = await response.text();
      const payload = parseJson(text);
      if (!response.ok) {
        throw isApiErrorBody(payload)
          ? new JobcastError(payload.error.code, payload.error.message, payload.error.details)
          : new JobcastError(
              `HTTP_${response.status}`,
              `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`,
            );
      }
      try {
        return parser.parse(payload);
      } catch {
        throw new JobcastError(
          ClientErrorCode.INVALID_RESPONSE,
          `${method} ${path} answered something unexpected: ${text.slice(0, 200)}`,
        );
      }
    }
    throw new JobcastError(
      ClientErrorCode.UNREACHABLE,
      `No gateway answered ${method} ${path} (${failures.join('; ')})`,
    );
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** fetch says "fetch failed" and keeps the reason (ECONNREFUSED …) in `cause`. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return 'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message;
  return error.message;
}
