/** What an image command writes to and is stopped by. */
export interface ImageCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** The terminal progress bars draw on, when stderr is one. */
  tty?: NodeJS.WriteStream;
  signal: AbortSignal;
  /** Names what the running command does, for its error message (`copy of docker://x to oci:y`). */
  describe: (what: string) => void;
}
