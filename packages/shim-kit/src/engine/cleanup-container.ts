import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';

/**
 * After an exit: records it, deletes the runtime's container and detaches the network
 * (idempotent; a running container is returned as it is). Runs under the engine's lock.
 */
export async function cleanupContainer(parts: EngineParts, c: EngineContainer): Promise<EngineContainer> {
  const record = await releaseContainer(parts, c);
  if (record !== c) await parts.records.write(record);
  return record;
}

/** {@link cleanupContainer} without writing the record: for a container that is removed next. */
export async function releaseContainer(parts: EngineParts, c: EngineContainer): Promise<EngineContainer> {
  const view = await parts.records.view(c);
  if (view.status === 'running') return c;
  let record: EngineContainer = c;
  if (view.status === 'exited' && c.exitCode === undefined) record = { ...record, exitCode: view.exitCode ?? -1, finishedAt: view.finishedAt ?? new Date().toISOString() };
  if (c.pid !== undefined) await parts.runc.delete(c.id, { force: true }).catch(() => undefined);
  if (c.network === 'bridge' && c.netnsPath !== undefined) {
    await parts.network.detach(c.id, c.name, c.ports, c.netnsPath);
    const { netnsPath: _gone, ...rest } = record;
    record = { ...rest, ips: [] };
  }
  return record;
}
