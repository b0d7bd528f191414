/** A payload schema that cannot be registered: too large, too deep, remote, or slow to validate. */
export class PayloadSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadSchemaError';
  }
}
