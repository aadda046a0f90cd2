import { ShimError } from '../errors.js';
import type { ExecProcess } from '../interfaces/runtime-backend.js';
import { readExecTemplate } from '../modules/runc/bundle.js';
import { startRuncExec } from '../modules/runc/runc-exec-process.js';
import type { EngineContainer } from './engine-container.js';
import type { EngineParts } from './engine-parts.js';

/** Options of {@link ContainerEngine.exec}. */
export interface ExecInContainerOptions {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  env?: readonly string[];
  /** UID[:GID] numbers. */
  user?: string;
  workdir?: string;
  signal?: AbortSignal;
}

/** Runs a command in a running container with its process settings (env, user, cwd, capabilities). */
export async function execInContainer(parts: EngineParts, c: EngineContainer, options: ExecInContainerOptions): Promise<ExecProcess> {
  if (options.cmd.length === 0) throw new ShimError('InvalidArgument', 'exec: no command given');
  const template = await readExecTemplate(parts.layout.bundle(c.id));
  if (template === undefined) throw new ShimError('Internal', `container ${c.name}: its bundle has no process to exec from`);
  const env = [...(template.env ?? []), ...(options.env ?? []), ...(options.tty ? ['TERM=xterm'] : [])];
  return startRuncExec(parts.runc, c.id, { ...template, env, ...(options.workdir ? { cwd: options.workdir } : {}), ...(options.user ? { user: parseNumericUser(options.user) } : {}) }, {
    cmd: options.cmd,
    tty: options.tty,
    stdin: options.stdin,
    stdout: true,
    stderr: !options.tty,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** `--user` of exec as numbers (names need the container's /etc/passwd; podman resolves them too, later). */
function parseNumericUser(user: string): { uid: number; gid: number } {
  const [u = '', g] = user.split(':');
  if (!/^\d+$/.test(u) || (g !== undefined && !/^\d+$/.test(g))) throw new ShimError('InvalidArgument', `exec --user ${JSON.stringify(user)}: only UID[:GID] numbers are supported`);
  return { uid: Number(u), gid: g === undefined ? Number(u) : Number(g) };
}
