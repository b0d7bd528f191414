import type { LogLevel as WireLogLevel } from '@jobcast/contracts';
import { describe, expectTypeOf, it } from 'vitest';
import type { LogLevel } from './job-type';

describe('LogLevel', () => {
  it('is the wire contract’s, though written out for the package’s standalone types', () => {
    expectTypeOf<LogLevel>().toEqualTypeOf<WireLogLevel>();
  });
});
