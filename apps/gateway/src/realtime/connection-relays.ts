import type { JobRelay } from './job-relay';

/**
 * A connection's relays, by job id. Most connections watch one job, so one relay is kept as it is and a Map is only
 * made for a second: at tens of thousands of idle sockets, an empty Map each is a noticeable share of a
 * socket's memory. The functions answer the new value; the socket keeps it.
 */
export type ConnectionRelays = JobRelay | Map<string, JobRelay> | undefined;

export function relayOf(relays: ConnectionRelays, jobId: string): JobRelay | undefined {
  if (relays instanceof Map) return relays.get(jobId);
  return relays?.jobId === jobId ? relays : undefined;
}

export function countRelays(relays: ConnectionRelays): number {
  if (relays instanceof Map) return relays.size;
  return relays ? 1 : 0;
}

export function allRelays(relays: ConnectionRelays): JobRelay[] {
  if (relays instanceof Map) return [...relays.values()];
  return relays ? [relays] : [];
}

/** Adds the relay, replacing one of the same job. */
export function withRelay(relays: ConnectionRelays, relay: JobRelay): ConnectionRelays {
  if (relays instanceof Map) return relays.set(relay.jobId, relay);
  if (!relays || relays.jobId === relay.jobId) return relay;
  return new Map([
    [relays.jobId, relays],
    [relay.jobId, relay],
  ]);
}

/** Removes the job's relay. */
export function withoutRelay(relays: ConnectionRelays, jobId: string): ConnectionRelays {
  if (!relayOf(relays, jobId)) return relays;
  if (!(relays instanceof Map)) return undefined;
  relays.delete(jobId);
  return relays.size === 0 ? undefined : relays;
}
