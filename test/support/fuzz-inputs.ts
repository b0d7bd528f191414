/**
 * Seeded random inputs for fuzz tests: one PRNG (mulberry32), so a seed names a whole run's inputs and a
 * failure is reproducible with `FUZZ_SEED=<seed>`.
 */

/** The seed of this run: `FUZZ_SEED` when set (to replay a failure), otherwise a fresh one. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`FUZZ_SEED: not a uint32: ${given}`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/** One seed's barrage: its inputs, how many of them, and the command that replays it. */
export interface FuzzRun {
  seed: number;
  /** HTTP requests and Socket.IO emits made from the seed (each barrage's first `cases` inputs). */
  cases: { http: number; socket: number };
  /** Why this seed runs: `fixed`, `fresh`, `given` or `sweep`. */
  why: 'fixed' | 'fresh' | 'given' | 'sweep';
  replay: string;
}

/**
 * Seeds CI runs every time, each with its first `cases` inputs per barrage (a seed's first cases are the same
 * whatever their number), enough to reach what it found: an oracle mistake, so it stays found.
 *  - 817214900: `GET /jobs/:id/events` resumed at the end of a finished job answers 204 (HTTP case #933).
 *  - 12: the same, at HTTP case #16 (of seeds 1 to 12, the one that found it).
 */
export const FIXED_SEEDS: ReadonlyArray<{ seed: number; cases: number }> = [
  { seed: 817214900, cases: 1000 },
  { seed: 12, cases: 200 },
];

/**
 * The seeds a fuzz file runs, from the environment:
 *  - `FUZZ_SEEDS=<from>-<to>` (or a comma list): a sweep, each seed with `FUZZ_CASES` (default 300) cases;
 *  - `FUZZ_SEED=<seed>`: that seed alone (a replay), with `FUZZ_CASES` cases or the full barrage;
 *  - neither (CI): the fixed seeds, then one fresh seed with the full barrage.
 * `full` is the full barrage's size; `FUZZ_SCALE` has already multiplied it.
 */
export function fuzzRuns(file: string, full: { http: number; socket: number }): FuzzRun[] {
  const given = process.env.FUZZ_CASES;
  const cases = given === undefined || given === '' ? undefined : Number(given);
  if (cases !== undefined && !(Number.isInteger(cases) && cases > 0))
    throw new Error(`FUZZ_CASES: not a count: ${given}`);
  const run = (seed: number, why: FuzzRun['why'], count?: number): FuzzRun => {
    const sized = count === undefined ? full : { http: count, socket: count };
    const env = `FUZZ_SEED=${seed}${count === undefined ? '' : ` FUZZ_CASES=${count}`}`;
    return { seed, cases: sized, why, replay: `${env} npx vitest run --project e2e ${file}` };
  };
  const sweep = process.env.FUZZ_SEEDS;
  if (sweep !== undefined && sweep !== '') return sweepSeeds(sweep).map((seed) => run(seed, 'sweep', cases ?? 300));
  if (process.env.FUZZ_SEED !== undefined && process.env.FUZZ_SEED !== '') return [run(fuzzSeed(), 'given', cases)];
  return [
    ...FIXED_SEEDS.map((fixed) => run(fixed.seed, 'fixed', cases ?? fixed.cases)),
    run(fuzzSeed(), 'fresh', cases),
  ];
}

/** `1-300`, `5,9,12` or a mix: the seeds a sweep runs. */
function sweepSeeds(text: string): number[] {
  return text.split(',').flatMap((part) => {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new Error(`FUZZ_SEEDS: not a seed or a range: ${part}`);
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (to < from || to > 0xffffffff) throw new Error(`FUZZ_SEEDS: not a range of uint32 seeds: ${part}`);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** mulberry32: tiny, fast, and good enough to pick inputs. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** An integer in [min, max], small ones far more often: sizes, depths, lengths. */
  skewed(min: number, max: number): number {
    return min + Math.floor(this.next() ** 3 * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from nothing');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Runs one of the makers, chosen by weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, () => T]>): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, make] of choices) {
      roll -= weight;
      if (roll < 0) return make();
    }
    const last = choices.at(-1);
    if (!last) throw new Error('weighted: no choices');
    return last[1]();
  }

  bytes(length: number): Buffer {
    const buffer = Buffer.alloc(length);
    for (let i = 0; i < length; i += 1) buffer[i] = this.int(0, 255);
    return buffer;
  }

  string(alphabet: string | readonly string[], length: number): string {
    let text = '';
    for (let i = 0; i < length; i += 1) text += this.pick(alphabet as readonly string[]);
    return text;
  }
}

const range = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => String.fromCharCode(from + i)).join('');

export const ALPHABETS = {
  /** What a job id may be made of. */
  id: range(0x30, 0x39) + range(0x41, 0x5a) + range(0x61, 0x7a) + '_-',
  /** Printable ASCII. */
  ascii: range(0x20, 0x7e),
  /** What Node lets a client put in a header value: tab, printable ASCII, Latin-1. */
  headerValue: '\t' + range(0x20, 0x7e) + range(0xa0, 0xff),
  /** What may be in a header name (an HTTP token). */
  headerName: range(0x61, 0x7a) + range(0x30, 0x39) + "-_!#$%&'*+.^`|~",
  /** Characters that tend to break parsers, escapers and loggers. */
  nasty: [
    '\u0000',
    '\u0001',
    '\u001f',
    '\u007f',
    '\n',
    '\r',
    '\t',
    '"',
    "'",
    '\\',
    '/',
    '%',
    '{',
    '}',
    '[',
    ']',
    '$',
    '<',
    '>',
    '&',
    '?',
    '#',
    '*',
    ':',
    '\u00e9',
    '\u00ff',
    '\u0130',
    '\u200b',
    '\u200e',
    '\u202e',
    '\ufeff',
    '\ufffd',
    '\ud800',
    '\udfff',
    '\u{1f600}',
    '\u{10ffff}',
    '\u0301',
    '\u4e2d',
    '\u0645',
  ],
};

/** A string of random kinds of characters, mostly short. */
export function randomText(rng: Rng, maxLength = 40): string {
  const length = rng.skewed(0, maxLength);
  return rng.weighted<string>([
    [4, () => rng.string(ALPHABETS.ascii, length)],
    [2, () => rng.string(ALPHABETS.id, length)],
    [3, () => rng.string(ALPHABETS.nasty, length)],
    [1, () => rng.string([...ALPHABETS.ascii, ...ALPHABETS.nasty], length)],
  ]);
}

/** Keys that prototype-pollution and injection bugs love. */
export const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '$where',
  '$gt',
  'a.b',
  '',
  ' ',
  'then',
  'jobId',
  'afterSeq',
  'type',
  'payload',
];

/** Number literals, as JSON text: edges of int, float and safe-integer ranges. */
export const NUMBER_LITERALS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1.5',
  '-1.5',
  '1e3',
  '1e-7',
  '2147483647',
  '2147483648',
  '4294967296',
  '99999999999999',
  '100000000000000',
  '9007199254740991',
  '9007199254740993',
  '99999999999999999999',
  '1e21',
  '1e308',
  '1e309',
  '-1e309',
  '123456789012345678901234567890',
  '5e-324',
];

/** A random JSON value as text (so `__proto__` keys and duplicate keys survive as written). */
export function randomJsonText(rng: Rng, depth = 3): string {
  const scalar = (): string =>
    rng.weighted<string>([
      [2, () => rng.pick(['null', 'true', 'false'])],
      [3, () => rng.pick(NUMBER_LITERALS)],
      [2, () => String(rng.int(-1000, 1000))],
      [4, () => JSON.stringify(randomText(rng))],
    ]);
  if (depth <= 0) return scalar();
  return rng.weighted<string>([
    [5, scalar],
    [2, () => `[${Array.from({ length: rng.skewed(0, 6) }, () => randomJsonText(rng, depth - 1)).join(',')}]`],
    [
      3,
      () =>
        `{${Array.from(
          { length: rng.skewed(0, 6) },
          () =>
            `${JSON.stringify(rng.chance(0.3) ? rng.pick(NASTY_KEYS) : randomText(rng, 12))}:${randomJsonText(rng, depth - 1)}`,
        ).join(',')}}`,
    ],
  ]);
}

/** A random JSON value, as `JSON.parse` makes it (own `__proto__` keys included). */
export function randomJsonValue(rng: Rng, depth = 3): unknown {
  return JSON.parse(randomJsonText(rng, depth)) as unknown;
}

/** JSON text nested `depth` levels deep: `[[[…]]]` or `{"a":{"a":…}}`, with `inner` at the bottom. */
export function deepJsonText(depth: number, shape: 'array' | 'object', inner = '1'): string {
  return shape === 'array'
    ? '['.repeat(depth) + inner + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

/** Text that is almost JSON: what a broken client or a proxy might send. */
export function brokenJsonText(rng: Rng, valid: string): string {
  return rng.weighted<string>([
    [4, () => valid.slice(0, rng.int(0, Math.max(0, valid.length - 1)))],
    [1, () => `${valid}${rng.pick(['}', ']', ',', 'garbage', '\u0000', '{}'])}`],
    [1, () => `\ufeff${valid}`],
    [1, () => valid.replace(/"/g, "'")],
    [1, () => `{"a":1,}`],
    [1, () => `{"a":NaN}`],
    [1, () => `{"a":Infinity}`],
    [1, () => `/* comment */${valid}`],
    [1, () => `{"a":"\\u12"}`],
    [1, () => `{"a":"\ud800"}`],
    [1, () => `{"a":1 "b":2}`],
    [1, () => valid.replace(/:/, '::')],
  ]);
}

/** A list written on one line, its items separated by single spaces. */
export const words = (text: string): string[] => text.split(' ');

/** encodeURIComponent, but lone surrogates (which it refuses) become U+FFFD, as UTF-8 encoding makes them. */
export function pathEncode(text: string): string {
  return encodeURIComponent(Buffer.from(text, 'utf8').toString('utf8'));
}

/** What Node lets a client put in a header value: anything else becomes `?`. */
export function headerSafe(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}
