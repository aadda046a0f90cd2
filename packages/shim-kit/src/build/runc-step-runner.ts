import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostHelper } from '@shimkit/host-helper';
import { ImageStoreError } from '@shimkit/image-store';
import type { RunStepRequest, StepRunner } from '@shimkit/image-store';
import { specFromImage } from '@shimkit/oci-spec';
import type { Runc } from '@shimkit/runc-driver';

export interface RuncStepRunnerOptions {
  /** The runtime binary (default `runc`). */
  binary?: string;
  /** The runtime's state directory for build containers (default /run/shimkit-build/runc). */
  runtimeRoot?: string;
  /** Where bundles and step output go while a step runs (default: the OS temp dir). */
  tmpDir?: string;
  /** Shared host helper that runs the runtime (left open). */
  helper?: HostHelper;
}

/** The end of a step's output kept for its error message. */
const OUTPUT_TAIL = 4096;
/** How often a running step's output file is read for `onOutput`. */
const TAIL_INTERVAL_MS = 50;

/**
 * Runs build RUN steps with runc: a container whose root is the step's overlay rootfs, with the
 * step's environment, working directory and user, a network namespace of its own (loopback
 * only) unless the step asks for the host's, and stdout and stderr streamed as they come. The
 * container is deleted when the command ends, whatever its exit.
 */
export class RuncStepRunner implements StepRunner, AsyncDisposable {
  readonly #options: RuncStepRunnerOptions;
  readonly #tmpDir: string;
  #runc: Promise<Runc> | undefined;

  constructor(options: RuncStepRunnerOptions = {}) {
    this.#options = { ...options };
    this.#tmpDir = options.tmpDir ?? tmpdir();
  }

  /** The runtime, loaded at the first RUN: a build served from the cache never needs it. */
  #runtime(): Promise<Runc> {
    const { binary, runtimeRoot, helper } = this.#options;
    this.#runc ??= import('@shimkit/runc-driver').then(({ Runc }) => new Runc({ binary: binary ?? 'runc', root: runtimeRoot ?? '/run/shimkit-build/runc', ...(helper ? { helper } : {}) }));
    return this.#runc;
  }

  async runStep(request: RunStepRequest): Promise<void> {
    await mkdir(this.#tmpDir, { recursive: true });
    const bundle = await mkdtemp(join(this.#tmpDir, 'shimkit-build-step-'));
    const id = `shimkit-build-${randomBytes(8).toString('hex')}`;
    const output = join(bundle, 'output');
    let tail: OutputTail | undefined;
    try {
      const spec = await specFromImage(request.config, {
        rootfs: request.rootfs,
        command: request.argv,
        env: request.env,
        cwd: request.cwd,
        user: request.user,
        labelsAsAnnotations: false,
        ...(request.signal ? { signal: request.signal } : {}),
      });
      spec.annotations = {};
      if (request.network === 'host' && spec.linux?.namespaces) spec.linux.namespaces = spec.linux.namespaces.filter((n) => n.type !== 'network');
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      await writeFile(output, '');
      tail = new OutputTail(output, request.onOutput);
      const runc = await this.#runtime();
      const result = await runc.run(id, { bundle, io: { stdout: { file: output }, stderr: { file: output } }, ...(request.signal ? { signal: request.signal } : {}) });
      await tail.stop();
      if (result.exitCode !== 0) {
        const text = tail.last.toString('utf8').trimEnd();
        throw new ImageStoreError('BUILD_STEP_FAILED', `${JSON.stringify(request.argv)} exited with code ${result.exitCode}${text === '' ? ' (no output)' : `; its output ended with:\n${text}`}`);
      }
    } finally {
      await tail?.stop();
      if (this.#runc !== undefined) await (await this.#runc).delete(id, { force: true }).catch(() => undefined);
      await rm(bundle, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await (await this.#runc)?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Reads what a running step appends to its output file, passing it on and keeping the end of it. */
class OutputTail {
  last = Buffer.alloc(0);
  #offset = 0;
  #timer: NodeJS.Timeout;
  #reading: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly path: string, private readonly onOutput: ((chunk: Buffer) => void) | undefined) {
    this.#timer = setInterval(() => void this.#read(), TAIL_INTERVAL_MS);
  }

  #read(): Promise<void> {
    this.#reading = this.#reading.then(async () => {
      const fh = await open(this.path, 'r');
      try {
        for (let i = 0; i < 1024; i++) {
          const buf = Buffer.alloc(64 * 1024);
          const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
          if (bytesRead === 0) break;
          this.#offset += bytesRead;
          const chunk = buf.subarray(0, bytesRead);
          this.onOutput?.(chunk);
          this.last = Buffer.concat([this.last, chunk]).subarray(-OUTPUT_TAIL);
        }
      } finally {
        await fh.close();
      }
    }).catch(() => undefined);
    return this.#reading;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return this.#reading;
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#read();
  }
}
