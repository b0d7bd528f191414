import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

export function sleepUntil(time: number): Promise<void> {
  return sleep(Math.max(0, time - Date.now()));
}

/** Maps with at most `limit` calls in flight, keeping the order of `items`. */
export async function mapConcurrently<Item, Result>(
  items: readonly Item[],
  limit: number,
  fn: (item: Item, index: number) => Promise<Result>,
): Promise<Result[]> {
  const results = new Array<Result>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as Item, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
