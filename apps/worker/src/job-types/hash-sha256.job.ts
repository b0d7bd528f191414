import { createHash } from 'node:crypto';
import { defineJobType, yieldToEventLoop, z } from '@jobcast/worker';

const CHUNK_BYTES = 1024 * 1024;

/**
 * Real CPU work with real progress: hashes `sizeMb` MiB of deterministic bytes derived from `seed`, one
 * MiB at a time, so the same payload always gives the same digest.
 */
export const hashSha256Job = defineJobType({
  name: 'hash.sha256',
  description: 'SHA-256 of sizeMb MiB of bytes generated from seed, reported chunk by chunk.',
  payload: z.strictObject({
    sizeMb: z.number().int().min(1).max(4096).default(64),
    seed: z.string().max(100).default('jobcast'),
  }),
  attempts: 2,
  timeoutMs: 30 * 60_000,
  async run({ payload, signal, progress }) {
    const digest = createHash('sha256');
    const chunk = Buffer.alloc(CHUNK_BYTES);
    let block = createHash('sha256').update(payload.seed).digest();
    for (let index = 0; index < payload.sizeMb; index += 1) {
      // Fill the chunk from a hash chain: cheap, deterministic, and not trivially compressible.
      for (let offset = 0; offset < CHUNK_BYTES; offset += block.length) {
        block.copy(chunk, offset);
        if (offset % 4096 === 0) block = createHash('sha256').update(block).digest();
      }
      digest.update(chunk);
      progress(
        { current: index + 1, total: payload.sizeMb },
        { stage: 'hashing', message: `${index + 1} of ${payload.sizeMb} MiB` },
      );
      await yieldToEventLoop(signal);
    }
    return { sha256: digest.digest('hex'), bytes: payload.sizeMb * CHUNK_BYTES };
  },
});
