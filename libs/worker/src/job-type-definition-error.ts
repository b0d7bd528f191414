/** A job type this worker cannot register: a bad name, a schema over the bounds, bad attempts. */
export class JobTypeDefinitionError extends Error {
  constructor(typeName: string, problem: string) {
    super(`job type ${JSON.stringify(typeName)}: ${problem}`);
    this.name = 'JobTypeDefinitionError';
  }
}
