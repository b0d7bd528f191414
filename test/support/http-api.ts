import { TERMINAL_STATUSES, type JobEvent, type JobSnapshot } from '@jobcast/contracts';
import { eventually } from './eventually';

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Plain HTTP against a gateway, as any client written from docs/protocol.md would do it. */
export async function request<T = unknown>(
  url: string,
  init: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (SSE, HTML): keep the text.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export async function submitJob(baseUrl: string, token: string, body: Record<string, unknown>): Promise<JobSnapshot> {
  const answer = await request<{ job: JobSnapshot }>(`${baseUrl}/jobs`, { token, body });
  if (answer.status !== 202) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.job;
}

/** Polls the snapshot until the job has ended. */
export function waitForEnd(baseUrl: string, token: string, jobId: string, timeoutMs = 60_000): Promise<JobSnapshot> {
  return eventually(
    `job ${jobId} to end`,
    async () => {
      const { body } = await request<JobSnapshot>(`${baseUrl}/jobs/${jobId}`, { token });
      return TERMINAL_STATUSES.includes(body.status) && body;
    },
    timeoutMs,
    100,
  );
}

/** Reads a whole SSE stream (it ends after the terminal event) into events. */
export function parseSse(text: string): Array<{ id?: string; event?: string; data: JobEvent }> {
  return text
    .split('\n\n')
    .map((frame) => frame.split('\n').filter((line) => line && !line.startsWith(':')))
    .filter((lines) => lines.some((line) => line.startsWith('data: ')))
    .map((lines) => {
      const field = (name: string): string | undefined =>
        lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data') ?? 'null') as JobEvent };
    });
}
