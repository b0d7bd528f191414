import { describe, expect, it } from 'vitest';
import { describeJobTypes } from './job-types-view';

describe('describeJobTypes', () => {
  it('shows each type with its workers, attempts, description and payload fields', () => {
    const text = describeJobTypes([
      {
        name: 'acme.thumbnails',
        description: 'Renders thumbnails.',
        attempts: 3,
        workers: 0,
        payloadSchema: {
          type: 'object',
          properties: {
            url: { type: 'string', format: 'uri' },
            quality: { type: 'integer', default: 80 },
            mode: { type: 'string', enum: ['fast', 'good'] },
          },
          required: ['url'],
        },
      },
      { name: 'demo.noop', description: 'Nothing.', attempts: 1, workers: 1, payloadSchema: { type: 'object' } },
    ]);
    expect(text).toBe(
      [
        'acme.thumbnails  (0 workers, 3 attempts)',
        '  Renders thumbnails.',
        '  payload: url: string, quality?: integer = 80, mode?: "fast"|"good"',
        '',
        'demo.noop  (1 worker, 1 attempt)',
        '  Nothing.',
        '  payload: {}',
        '',
      ].join('\n'),
    );
  });

  it('says when nothing is registered', () => {
    expect(describeJobTypes([])).toBe('No job type is registered: start a worker.\n');
  });
});
