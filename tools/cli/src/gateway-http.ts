import { ApiErrorBodySchema } from '@jobcast/contracts';
import { CliError } from './cli-error';

/** What the CLI needs from a zod schema. */
export interface Parser<T> {
  parse(input: unknown): T;
}

/**
 * The gateways' HTTP API. Each call goes to the first gateway that answers: a gateway that cannot be
 * reached is skipped, any answer from one (an error too) is final.
 */
export class GatewayHttp {
  constructor(
    private readonly urls: readonly string[],
    private readonly token?: string,
  ) {}

  async request<T>(method: 'GET' | 'POST', path: string, parser: Parser<T>, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const failures: string[] = [];
    for (const base of this.urls) {
      let response: Response;
      try {
        response = await fetch(base + path, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        failures.push(`${base}: ${describeFetchError(error)}`);
        continue;
      }
      const text = await response.text();
      const payload = parseJson(text);
      if (!response.ok) {
        const error = ApiErrorBodySchema.safeParse(payload);
        throw error.success
          ? new CliError(error.data.error.code, error.data.error.message)
          : new CliError(
              `HTTP_${response.status}`,
              `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`,
            );
      }
      try {
        return parser.parse(payload);
      } catch {
        throw new CliError(
          'INVALID_RESPONSE',
          `${method} ${path} answered something unexpected: ${text.slice(0, 200)}`,
        );
      }
    }
    throw new CliError('UNREACHABLE', `No gateway answered ${method} ${path} (${failures.join('; ')})`);
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
