/** How `jobcast` exits: by how the job ended, or 3 for anything that kept it from finding out. */
export const ExitCode = {
  COMPLETED: 0,
  FAILED: 1,
  CANCELLED: 2,
  ERROR: 3,
} as const;

/**
 * A usage or HTTP error: `code` is the gateway's error code (JOB_NOT_FOUND, UNAUTHORIZED …), or USAGE,
 * UNREACHABLE, INVALID_RESPONSE. It is printed, and the CLI exits with 3.
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
