import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

/** Another process with an ImageStore open on `root` (test/store-process.mjs), called op by op. */
export class StoreProcess implements AsyncDisposable {
  readonly child: ChildProcess;
  readonly #waiting = new Map<number, (r: Reply) => void>();
  #next = 0;
  #stderr = '';

  constructor(root: string) {
    this.child = spawn(process.execPath, [fileURLToPath(new URL('./store-process.mjs', import.meta.url)), root], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as Reply;
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    });
    this.child.on('exit', () => {
      for (const [id, settle] of this.#waiting) settle({ id, ok: false, code: 'EXITED', message: `store process exited: ${this.#stderr}` });
      this.#waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Runs `op` in the other process; rejects with its error (code and message). */
  async call<T = unknown>(op: string, ...args: unknown[]): Promise<T> {
    const id = ++this.#next;
    const reply = new Promise<Reply>((resolve) => this.#waiting.set(id, resolve));
    this.child.stdin!.write(`${JSON.stringify({ id, op, args })}\n`);
    const r = await reply;
    if (!r.ok) throw Object.assign(new Error(r.message), { code: r.code });
    return r.value as T;
  }

  /** SIGKILLs the process (whatever it holds stays behind, as after a crash). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    await this.call('close').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
