import type { Subscription } from './subscription';

/**
 * A connection's subscriptions, by key. Most connections watch one job, so one subscription is kept as it is
 * and a Map is only made for a second: at tens of thousands of idle sockets, an empty Map each is a noticeable
 * share of a socket's memory. The functions answer the new value; the connection keeps it.
 */
export type ConnectionSubscriptions = Subscription | Map<string, Subscription> | undefined;

export function subscriptionOf(subscriptions: ConnectionSubscriptions, key: string): Subscription | undefined {
  if (subscriptions instanceof Map) return subscriptions.get(key);
  return subscriptions?.key === key ? subscriptions : undefined;
}

export function countSubscriptions(subscriptions: ConnectionSubscriptions): number {
  if (subscriptions instanceof Map) return subscriptions.size;
  return subscriptions ? 1 : 0;
}

export function allSubscriptions(subscriptions: ConnectionSubscriptions): Subscription[] {
  if (subscriptions instanceof Map) return [...subscriptions.values()];
  return subscriptions ? [subscriptions] : [];
}

/** Adds the subscription, in place of one of the same key. */
export function withSubscription(
  subscriptions: ConnectionSubscriptions,
  subscription: Subscription,
): ConnectionSubscriptions {
  if (subscriptions instanceof Map) return subscriptions.set(subscription.key, subscription);
  if (!subscriptions || subscriptions.key === subscription.key) return subscription;
  return new Map([
    [subscriptions.key, subscriptions],
    [subscription.key, subscription],
  ]);
}

/** Removes the subscription of the key. */
export function withoutSubscription(subscriptions: ConnectionSubscriptions, key: string): ConnectionSubscriptions {
  if (!subscriptionOf(subscriptions, key)) return subscriptions;
  if (!(subscriptions instanceof Map)) return undefined;
  subscriptions.delete(key);
  return subscriptions.size === 0 ? undefined : subscriptions;
}
