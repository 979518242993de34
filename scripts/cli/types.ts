/**
 * Shared CLI vocabulary: exit codes, the error that carries one, the I/O a command gets,
 * and the command/group shapes the dispatcher walks.
 */
export const EXIT = Object.freeze({ OK: 0, FAILED: 1, USAGE: 2, RUNTIME: 3 });
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  a check or verification failed, or the operation was refused (unknown or existing name)
  2  usage or configuration error (bad arguments, invalid PALISADE_* environment)
  3  runtime error (missing files or keys, I/O failure, unexpected error)`;

/** An expected failure with its exit code; the message is printed as `palisade: <message>`. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string): CliError => new CliError(EXIT.USAGE, message);

export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  readonly summary: string;
  readonly help: string;
  /** argv after the command words; returns the exit code */
  run(argv: readonly string[], io: Io): Promise<ExitCode>;
}

export interface Group {
  readonly summary: string;
  readonly help: string;
  readonly commands: Readonly<Record<string, Command>>;
}
