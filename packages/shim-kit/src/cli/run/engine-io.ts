import type { Readable } from 'node:stream';
import type { ContainerEngine } from '../../engine/container-engine.js';

/** What an engine command reads, writes and runs with. */
export interface EngineCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Binary output of containers (default: `out`). */
  outBytes: (chunk: Buffer) => void;
  errBytes: (chunk: Buffer) => void;
  stdin: Readable;
  /** The terminal progress bars draw on, when stderr is one. */
  progressTty?: NodeJS.WriteStream;
  /** The terminal `-t` runs on, when stdin and stdout are one. */
  terminal?: { input: NodeJS.ReadStream; output: NodeJS.WriteStream };
  /** Signals to forward to a foreground container: registers a listener, returns its removal. */
  onSignal: (listener: (name: NodeJS.Signals) => void) => () => void;
  /** The engine, made on first use from the global options. */
  engine: () => ContainerEngine;
  /** The command conmon runs after a detached container exits (`shimkit container-cleanup ID`). */
  exitCommand?: (id: string) => string[];
  /** The command's exit code (set by commands that return one, e.g. run, wait). */
  setExitCode: (code: number) => void;
}
