import { request } from './http-api';

/** The value of one Prometheus sample in a scrape: by metric name, and by text its labels hold when given. */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text
    .split('\n')
    .find((row) => (row.startsWith(`${name}{`) || row.startsWith(`${name} `)) && row.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** One sample of a gateway's `GET /metrics` right now, or NaN when the scrape has none. */
export async function scrapeSample(baseUrl: string, name: string, labels = ''): Promise<number> {
  const { body } = await request<string>(`${baseUrl}/metrics`);
  return sample(String(body), name, labels) ?? Number.NaN;
}
