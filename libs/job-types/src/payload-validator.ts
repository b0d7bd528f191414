import { Ajv2020, type ErrorObject } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { JsonSchema } from './payload-schema';

export interface PayloadValidation {
  ok: boolean;
  /** ajv's errors, for the `details` of a 400 VALIDATION_FAILED. */
  errors?: ErrorObject[];
}

export interface PayloadValidator {
  validate(payload: unknown): PayloadValidation;
  /** Drops the compiled code, once a newer version of the schema replaced it. */
  release(): void;
}

// One ajv instance for every schema: compiling is the expensive part, and each schema version is compiled
// once by whoever caches the validator. No `loadSchema`: a reference that is not in the schema fails to
// compile instead of being fetched.
const ajv = new Ajv2020({ strict: false, allErrors: false, useDefaults: true, coerceTypes: false });
addFormats(ajv);

/** The formats the validator checks; zod's own patterns for them are dropped from registered schemas. */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(ajv.formats));

/** Compiles a registered payload schema; throws when it does not compile. */
export function compilePayloadValidator(schema: JsonSchema): PayloadValidator {
  // Compiled without being added to the instance (no $id), so schemas of different versions never clash.
  const validate = ajv.compile(schema);
  return {
    validate: (payload) => (validate(payload) ? { ok: true } : { ok: false, errors: validate.errors ?? [] }),
    release: () => ajv.removeSchema(schema),
  };
}
