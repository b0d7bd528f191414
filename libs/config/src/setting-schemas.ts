import { z } from 'zod';

/** An on/off setting: `1`, `true`, `yes` or `0`, `false`, `no`. */
export const booleanFlag = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no'])
  .transform((value) => value === '1' || value === 'true' || value === 'yes');

/** A comma-separated list of origins (`https://app.example.com,http://localhost:3000`), blanks dropped. */
export const originList = z.string().transform((text) =>
  text
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean),
);
