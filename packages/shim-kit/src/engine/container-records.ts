import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isProcessAlive } from '@shimkit/host-helper';
import { readExitFile } from '@shimkit/runc-driver';
import { join } from 'node:path';
import { ShimError } from '../errors.js';
import type { ContainerStatus, ContainerView, EngineContainer } from './engine-container.js';
import type { EngineLayout } from './engine-layout.js';

/**
 * The engine's container records on disk: one JSON file per container, replaced atomically,
 * and the state now from conmon's exit file (or the monitor being gone). Read and written with
 * sync calls: each takes microseconds, where an async one waits for a thread-pool thread (a
 * millisecond or more on a busy machine), and a command makes several in sequence.
 */
export class ContainerRecords {
  constructor(readonly layout: EngineLayout) {}

  async read(id: string): Promise<EngineContainer | undefined> {
    let text: string;
    try {
      text = readFileSync(this.layout.record(id), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as EngineContainer;
    } catch (e) {
      throw new ShimError('CorruptState', `container record ${this.layout.record(id)} is not valid JSON`, { cause: e });
    }
  }

  /**
   * Replaces the record atomically (readers see the old or the new one). Not fsynced: what it
   * describes (runc's state, conmon, mounts) lives in the run dir and does not outlive a reboot
   * either, and two fsyncs were a tenth of a `run --rm`.
   */
  async write(c: EngineContainer): Promise<void> {
    mkdirSync(this.layout.container(c.id), { recursive: true, mode: 0o700 });
    const record = this.layout.record(c.id);
    const temp = `${record}.${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      writeFileSync(temp, JSON.stringify(c, null, 2), { mode: 0o600, flag: 'wx' });
      renameSync(temp, record);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    rmSync(this.layout.container(id), { recursive: true, force: true });
  }

  /** Every container, oldest first (records being written by a create in flight are skipped). */
  async list(): Promise<EngineContainer[]> {
    let names: string[];
    try {
      names = readdirSync(this.layout.containersDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      names = [];
    }
    const all = await Promise.all(names.map((n) => this.read(n).catch(() => undefined)));
    return all.filter((c): c is EngineContainer => c !== undefined).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The container with this id, unique id prefix or name. */
  async find(ref: string): Promise<EngineContainer> {
    if (ref === '') throw new ShimError('InvalidArgument', 'no container named');
    const all = await this.list();
    const byName = all.find((c) => c.name === ref || c.id === ref);
    if (byName) return byName;
    const byPrefix = all.filter((c) => c.id.startsWith(ref));
    if (byPrefix.length === 1) return byPrefix[0] as EngineContainer;
    if (byPrefix.length > 1) throw new ShimError('InvalidArgument', `container id prefix ${JSON.stringify(ref)} is ambiguous`);
    throw new ShimError('NotFound', `no container with name or ID "${ref}" found`);
  }

  /** The container's state now: an exit file means exited (its code kept), a live pid running. */
  async view(c: EngineContainer): Promise<ContainerView> {
    if (c.exitCode !== undefined) return { ...c, status: 'exited' };
    if (c.pid === undefined) return { ...c, status: 'created' };
    const exit = await readExitFile(join(this.layout.exitDir, c.id));
    if (exit !== undefined) return { ...c, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.exitedAt.toISOString() };
    let status: ContainerStatus = 'running';
    if (!isProcessAlive(c.pid) && (c.conmonPid === undefined || !isProcessAlive(c.conmonPid))) status = 'exited';
    return { ...c, status };
  }
}
