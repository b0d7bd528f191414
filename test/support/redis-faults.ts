import { Redis } from 'ioredis';
import { sleep } from './eventually';

/**
 * Kills every Pub/Sub connection (the gateways' subscribers) on each Redis of `servers` (URLs) every 40 ms until
 * `done()` holds or `timeoutMs` passes, and answers how many connections it killed: a watcher that missed an
 * event for good keeps `done()` false, so the caller's completeness check then names what was lost.
 */
export async function killSubscribersUntil(
  servers: readonly string[],
  done: () => boolean,
  timeoutMs = 15_000,
): Promise<number> {
  // Its own connections, closed before it answers: a test may stop Redis next.
  const admins = servers.map((url) => new Redis(url));
  let kills = 0;
  try {
    const deadline = Date.now() + timeoutMs;
    while (!done() && Date.now() < deadline) {
      for (const admin of admins) kills += Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
      await sleep(40);
    }
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return kills;
}
