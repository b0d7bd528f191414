/**
 * Output streams: text a job produces as it goes (an LLM's answer, a build log), logged as `output {key,
 * offset, text}` events. The rules every writer and reader share: what a key may be, how large one event's
 * text and a job's whole output may be, and how its size is counted.
 */

/** A stream's key: bounded like a tag. */
export const OUTPUT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** The most output streams (distinct keys) one job may write: each costs the job log a field. */
export const OUTPUT_MAX_STREAMS = 64;

/** The most text one `output` event carries, in UTF-16 code units; a writer splits a longer flush. */
export const OUTPUT_EVENT_MAX_CHARS = 16_384;

/** OUTPUT_MAX_BYTES's default: the most output one job may write, over all its streams, in UTF-8 bytes. */
export const DEFAULT_OUTPUT_MAX_BYTES = 1024 * 1024;

/**
 * The UTF-8 size of `text`, counted so that it adds up across any split: each half of a surrogate pair counts
 * 2, so a pair counts 4 (its UTF-8 size) even when two writes or two events carry one half each.
 */
export function outputBytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes += unit < 0x80 ? 1 : unit < 0x800 || (unit >= 0xd800 && unit <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}
