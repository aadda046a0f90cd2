/** runc's own failure, as it prints it on stderr before exiting 1: one write of one line. */
const FAILURE_LINE = /^runc [a-z]+ failed: [^\n]*\n$/;

/**
 * Output of a foreground `runc run`, where the container and runc share stderr: runc's
 * failure line (already in the error the call rejects with, from runc's JSON log) is held back
 * while it is the last thing written, then dropped if the call failed, or handed over after all
 * (the container wrote it) once anything follows or the call succeeded.
 */
export class FailureLineFilter {
  #held: Buffer | undefined;

  constructor(readonly onOutput: (stream: 'stdout' | 'stderr', chunk: Buffer) => void) {}

  write(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    this.#flush();
    if (stream === 'stderr' && FAILURE_LINE.test(chunk.toString('latin1'))) this.#held = chunk;
    else this.onOutput(stream, chunk);
  }

  /** The call ended: `failed` when it rejected with the runtime's error. */
  end(failed: boolean): void {
    if (failed) this.#held = undefined;
    this.#flush();
  }

  #flush(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) this.onOutput('stderr', held);
  }
}
