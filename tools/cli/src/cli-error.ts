/** How `jobcast` exits: by how the job ended, or 3 for anything that kept it from finding out. */
export const ExitCode = {
  COMPLETED: 0,
  FAILED: 1,
  CANCELLED: 2,
  ERROR: 3,
} as const;

/**
 * A usage error (code USAGE). It is printed with the usage text, and the CLI exits with 3, as it does for
 * a `JobcastError` from the gateways (JOB_NOT_FOUND, UNAUTHORIZED, UNREACHABLE …).
 */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
