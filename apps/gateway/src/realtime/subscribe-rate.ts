/**
 * A rate limit kept as one number per socket (GCRA: the theoretical arrival time of the next request),
 * rather than an object: it allows `ratePerSecond` on average with bursts of up to `burst`.
 *
 * Answers the socket's next theoretical arrival time, or undefined when the request is over the limit.
 * Start a socket at 0.
 */
export function takeSubscribe(
  arrivalAt: number,
  ratePerSecond: number,
  burst: number = ratePerSecond,
  now: number = Date.now(),
): number | undefined {
  const interval = 1000 / ratePerSecond;
  const next = Math.max(arrivalAt, now);
  if (next - now > interval * (burst - 1)) return undefined;
  return next + interval;
}
