/** Error codes the client raises itself, beside the server's `ErrorCode`s. */
export const ClientErrorCode = {
  /** The watch or its client was closed before the job ended. */
  CLOSED: 'CLOSED',
  /** The gateway answered something that does not match the protocol. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** A reset rebuilt an output stream's text into one that does not go on from what its iterator yielded. */
  OUTPUT_RESET: 'OUTPUT_RESET',
  /** No gateway could be reached (HTTP calls). */
  UNREACHABLE: 'UNREACHABLE',
} as const;

/** Why a watch ended without its terminal event: `code` is an `ErrorCode` from the gateway or a `ClientErrorCode`. */
export class JobcastError extends Error {
  override readonly name = 'JobcastError';

  constructor(
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
