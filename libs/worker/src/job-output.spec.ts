import { OUTPUT_EVENT_MAX_CHARS, OUTPUT_MAX_STREAMS } from '@jobcast/contracts';
import { describe, expect, it, vi } from 'vitest';
import { JobOutput, OutputError } from './job-output';

function recorder(refuse?: 'OUTPUT_TOO_LARGE') {
  const logged: Array<[string, string]> = [];
  const append = vi.fn((key: string, text: string) => {
    logged.push([key, text]);
    return Promise.resolve(refuse);
  });
  return { logged, append };
}

describe('JobOutput', () => {
  it('concatenates writes and logs them at most every flushMs, in the order written', async () => {
    vi.useFakeTimers();
    try {
      const { logged, append } = recorder();
      const output = new JobOutput(append, { flushMs: 25, maxBytes: 1000, writtenBytes: 0 }, () => Date.now());
      output.stream('a').write('x');
      await vi.advanceTimersByTimeAsync(0);
      expect(logged).toEqual([['a', 'x']]);
      output.stream('a').write('y');
      output.stream('a').write('z');
      output.stream('b').write('1');
      output.stream('a').write('w');
      await vi.advanceTimersByTimeAsync(10);
      expect(logged).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(15);
      expect(logged).toEqual([
        ['a', 'x'],
        ['a', 'yz'],
        ['b', '1'],
        ['a', 'w'],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a trailing high surrogate for its other half, unless the job is ending', async () => {
    const { logged, append } = recorder();
    const output = new JobOutput(append, { flushMs: 1000, maxBytes: 1000, writtenBytes: 0 });
    const rocket = '🚀';
    output.stream('a').write(`go${rocket[0]}`);
    await output.flush();
    expect(logged).toEqual([['a', 'go']]);
    output.stream('a').write(`${rocket[1]}!`);
    await output.flush();
    expect(logged.at(-1)).toEqual(['a', `${rocket}!`]);
    output.stream('a').write(`${rocket[0]}`);
    await output.close();
    expect(logged.map(([, text]) => text).join('')).toBe(`go${rocket}!${rocket[0]}`);
  });

  it('splits a long flush into events of at most OUTPUT_EVENT_MAX_CHARS, never inside a pair', async () => {
    const { logged, append } = recorder();
    const output = new JobOutput(append, { flushMs: 1000, maxBytes: 1_000_000, writtenBytes: 0 });
    const text = 'a'.repeat(OUTPUT_EVENT_MAX_CHARS - 1) + '😀' + 'b'.repeat(10);
    output.stream('a').write(text);
    await output.close();
    expect(logged.map(([, part]) => part.length)).toEqual([OUTPUT_EVENT_MAX_CHARS - 1, 12]);
    expect(logged.map(([, part]) => part).join('')).toBe(text);
  });

  it('refuses a write past the bound as a whole, counting what earlier attempts wrote', () => {
    const { append } = recorder();
    const output = new JobOutput(append, { flushMs: 25, maxBytes: 10, writtenBytes: 4 });
    output.stream('a').write('12345');
    expect(() => output.stream('a').write('日本')).toThrow(expect.objectContaining({ code: 'OUTPUT_TOO_LARGE' }));
    output.stream('a').write('6');
    void output.close();
  });

  it('refuses writes after the end of the stream or the job, and bad keys', async () => {
    const { append } = recorder();
    const output = new JobOutput(append, { flushMs: 25, maxBytes: 100, writtenBytes: 0 });
    expect(() => output.stream('')).toThrow(OutputError);
    expect(() => output.stream('bad key')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    for (let key = 0; key < OUTPUT_MAX_STREAMS; key += 1) output.stream(`s${key}`);
    expect(() => output.stream('one-more')).toThrow(expect.objectContaining({ code: 'OUTPUT_TOO_LARGE' }));
    const stream = output.stream('s0');
    stream.end();
    expect(() => stream.write('x')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    await output.close();
    expect(() => output.stream('s1').write('x')).toThrow(expect.objectContaining({ code: 'JOB_FINISHED' }));
  });

  it('pipes an iterable, and rejects with its error after writing what it gave', async () => {
    const { logged, append } = recorder();
    const output = new JobOutput(append, { flushMs: 25, maxBytes: 100, writtenBytes: 0 });
    async function* broken(): AsyncGenerator<string> {
      yield 'one ';
      yield await Promise.resolve('two');
      throw new Error('stream broke');
    }
    await expect(output.stream('a').pipe(broken())).rejects.toThrow('stream broke');
    await output.close();
    expect(logged).toEqual([['a', 'one two']]);
  });

  it('stops taking writes once the log refuses one', async () => {
    const { append } = recorder('OUTPUT_TOO_LARGE');
    const output = new JobOutput(append, { flushMs: 25, maxBytes: 100, writtenBytes: 0 });
    output.stream('a').write('x');
    await output.flush();
    expect(() => output.stream('a').write('y')).toThrow(expect.objectContaining({ code: 'OUTPUT_TOO_LARGE' }));
  });
});
