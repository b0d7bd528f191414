/**
 * What fuzz tests keep of what they found: broken expectations grouped with reproducers, tallies of what
 * was sent and answered, and the checks every answer gets.
 */
import { ErrorCode } from '@jobcast/contracts';

/** What a stack trace or a source path looks like in an answer. */
export const STACK_TRACE = /at \S+ \(|node_modules|\.ts:\d+/;

/** Every error code the contract has. */
export const ERROR_CODES = new Set<string>(Object.values(ErrorCode));

/** Every broken expectation, grouped by kind; each group keeps its first reproducers. */
export class Problems {
  private readonly groups = new Map<string, { count: number; examples: string[] }>();

  add(kind: string, reproducer: string): void {
    const group = this.groups.get(kind) ?? { count: 0, examples: [] };
    group.count += 1;
    if (group.examples.length < 3) group.examples.push(reproducer);
    this.groups.set(kind, group);
  }

  /** One line per kind, with its count and reproducers: what the assertion prints. */
  report(): string[] {
    return [...this.groups].map(
      ([kind, { count, examples }]) => `${kind} ×${count}\n      ${examples.join('\n      ')}`,
    );
  }
}

/** Counts by key, printed sorted: what a fuzz run sent and what came back. */
export class Tally {
  readonly counts = new Map<string, number>();

  add(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  get total(): number {
    return [...this.counts.values()].reduce((sum, count) => sum + count, 0);
  }

  toString(): string {
    return [...this.counts]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, count]) => `${key}=${count}`)
      .join(' ');
  }
}

/** Runs `run` over `items`, at most `concurrency` at a time. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        if (item !== undefined) await run(item);
      }
    }),
  );
}

/** A short, printable view of an input or an answer for a reproducer. */
export function preview(value: string | Buffer | undefined, max = 160): string {
  if (value === undefined) return '(none)';
  const text = Buffer.isBuffer(value) ? value.toString('latin1') : value;
  const shown = JSON.stringify(text.length > max ? text.slice(0, max) : text);
  return text.length > max ? `${shown}…(${text.length} chars)` : shown;
}
