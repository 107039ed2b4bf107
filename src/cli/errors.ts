// How the CLI ends: 0 ok, 1 the workflow or operation failed, 2 invalid input or usage.
// User mistakes print a message, never a stack trace.
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INVALID = 2;

/** An error in what the user gave us; its message is printed as is and the CLI exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_INVALID,
  ) {
    super(message);
  }
}
