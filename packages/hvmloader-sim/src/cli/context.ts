/** What every subcommand gets instead of `process`: its output streams and an abort signal. */
export interface CliContext {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly signal?: AbortSignal;
}

/** A subcommand module: parses its own arguments (the words after its name), returns the exit status. */
export interface SubcommandModule {
  run(args: readonly string[], context: CliContext): Promise<number>;
}
