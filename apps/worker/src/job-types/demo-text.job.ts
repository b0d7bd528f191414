import { defineJobType, sleep, yieldToEventLoop, z } from '@jobcast/worker';

/**
 * Words for generated text: mostly plain ones, with some that take 2, 3 and 4 bytes in UTF-8 (and a
 * surrogate pair in UTF-16), so that a stream of them exercises what a model's answer would.
 */
const VOCABULARY = [
  'the',
  'job',
  'streams',
  'text',
  'to',
  'every',
  'watcher',
  'as',
  'it',
  'comes',
  'and',
  'a',
  'model',
  'answers',
  'one',
  'token',
  'at',
  'time',
  'while',
  'gateway',
  'log',
  'of',
  'events',
  'resumes',
  'after',
  'drop',
  'naïve',
  'café',
  'Größe',
  'façade',
  '日本語',
  '中文',
  '한국어',
  'データ',
  '🚀',
  '✨',
  '👩‍💻',
  '🎉',
];

/** A small deterministic generator (mulberry32): the same seed gives the same text on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The `words` tokens that `seed` gives: each a word with the space or line break before it. */
export function* generatedTokens(seed: number, words: number): Generator<string> {
  const next = random(seed);
  for (let index = 0; index < words; index += 1) {
    const word = VOCABULARY[Math.floor(next() * VOCABULARY.length)] as string;
    yield index === 0 ? word : next() < 0.05 ? `\n${word}` : ` ${word}`;
  }
}

export interface TextPayload {
  words: number;
  wordsPerSecond: number;
  seed: number;
  failAfter?: number | undefined;
  timestamps?: boolean | undefined;
}

/**
 * The tokens at `wordsPerSecond`, on a fixed schedule (no drift however long it runs). `failAfter` throws
 * after that many; `timestamps` puts the time each is written in it (`[t=<ms since epoch>]`), for benchmarks.
 */
async function* pacedTokens(payload: TextPayload, signal: AbortSignal): AsyncGenerator<string> {
  const start = performance.now();
  const intervalMs = 1000 / payload.wordsPerSecond;
  let index = 0;
  for (const token of generatedTokens(payload.seed, payload.words)) {
    const wait = start + index * intervalMs - performance.now();
    await (wait >= 1 ? sleep(wait, signal) : yieldToEventLoop(signal));
    if (payload.failAfter !== undefined && index === payload.failAfter) {
      throw new Error(`demo.text failed after ${index} words`);
    }
    yield payload.timestamps ? `${token}[t=${(performance.timeOrigin + performance.now()).toFixed(3)}]` : token;
    index += 1;
  }
}

/** Deterministic generated text at a given rate, streamed as output `text`: a token stream without a model. */
export const demoTextJob = defineJobType({
  name: 'demo.text',
  description: 'Generated text, word by word at wordsPerSecond, streamed as its output "text"; deterministic per seed.',
  payload: z.strictObject({
    words: z.number().int().min(1).max(200_000).default(200),
    wordsPerSecond: z.number().min(0.1).max(10_000).default(20),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** Throw after this many words: a model's stream that breaks half-way. */
    failAfter: z.number().int().min(0).optional(),
    /** Put the time each word is written in it, for benchmarks that measure latency. */
    timestamps: z.boolean().optional(),
    /** Log each word as a `log` event of its own instead: what benchmarks compare output streams with. */
    asLogEvents: z.boolean().optional(),
  }),
  timeoutMs: 3_600_000,
  async run({ payload, signal, progress, stream, log }) {
    let words = 0;
    if (payload.asLogEvents) {
      for await (const token of pacedTokens(payload, signal)) {
        log('info', token);
        words += 1;
        progress({ current: words, total: payload.words });
      }
      return { words };
    }
    async function* counted(): AsyncGenerator<string> {
      for await (const token of pacedTokens(payload, signal)) {
        yield token;
        words += 1;
        progress({ current: words, total: payload.words });
      }
    }
    await stream('text').pipe(counted());
    return { words };
  },
});
