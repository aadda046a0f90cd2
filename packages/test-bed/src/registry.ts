import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { Daemon } from './daemon.js';
import { isTestBedError, TestBedError, throwIfAborted } from './errors.js';
import { freePort } from './free-port.js';
import { makeInstanceDir, newInstanceId } from './instance-id.js';
import { waitUntil } from './wait-until.js';

/** Options for {@link startRegistry}. */
export interface RegistryOptions {
  /** Require HTTP basic auth with this one user (htpasswd, bcrypt). */
  auth?: { username: string; password: string };
  /** The registry binary (default `/usr/bin/docker-registry`). */
  binary?: string;
  /** Serve HTTPS with this certificate; with `clientCaFile`, only clients presenting a certificate it signed are served. */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Serve the blobs and repositories of this storage directory (another registry's `storage`), left in place on close. */
  storage?: string;
  /** How long to wait for /v2/ to answer (default 15 s). */
  startTimeoutMs?: number;
  signal?: AbortSignal;
}

/** A running local registry. */
export interface Registry extends AsyncDisposable {
  /** Unique id of this instance; its temp dir name starts with it. */
  readonly id: string;
  /** `127.0.0.1:PORT`, for image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` (`https://` with TLS). */
  readonly url: string;
  /** The registry's temp dir (storage, config, log). */
  readonly dir: string;
  /** Where its repositories and blobs are. */
  readonly storage: string;
  readonly logFile: string;
  /** The credentials it requires, if any. */
  readonly auth: { username: string; password: string } | undefined;
  /** Stops the registry and removes its temp dir. */
  close(): Promise<void>;
}

function configYaml(options: { port: number; storage: string; htpasswd?: string; tls?: RegistryOptions['tls'] }): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(options.storage)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${options.port}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  const { tls } = options;
  if (tls) {
    lines.push('  tls:', `    certificate: ${JSON.stringify(tls.certFile)}`, `    key: ${JSON.stringify(tls.keyFile)}`);
    if (tls.clientCaFile) lines.push('    clientcas:', `      - ${JSON.stringify(tls.clientCaFile)}`);
  }
  if (options.htpasswd) {
    lines.push('auth:', '  htpasswd:', '    realm: shimkit-test-bed', `    path: ${JSON.stringify(options.htpasswd)}`);
  }
  return lines.join('\n') + '\n';
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true)).once('error', () => done(false)).once('timeout', () => done(false));
  });
}

/**
 * Starts a real `docker-registry` on 127.0.0.1 on a free port, its storage in a
 * temp dir and deletes enabled; resolves once `/v2/` answers.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const { auth, signal } = options;
  const binary = options.binary ?? '/usr/bin/docker-registry';
  if (auth && (!auth.username || auth.username.includes(':') || !auth.password)) {
    throw new TestBedError('INVALID_ARGUMENT', 'startRegistry: auth needs a non-empty username without ":" and a non-empty password');
  }
  throwIfAborted(signal, 'startRegistry');
  const id = newInstanceId();
  const dir = await makeInstanceDir(id, 'registry');
  const logFile = join(dir, 'registry.log');
  let daemon: Daemon | undefined;
  const cleanup = async (): Promise<void> => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const storage = options.storage ?? join(dir, 'storage');
    await mkdir(storage, { recursive: true });
    let htpasswd: string | undefined;
    if (auth) {
      htpasswd = join(dir, 'htpasswd');
      await writeFile(htpasswd, `${auth.username}:${bcrypt.hashSync(auth.password, 5)}\n`, { mode: 0o600 });
    }
    // A free port can be taken between probing and binding: retry a few times.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const configFile = join(dir, 'config.yml');
      await writeFile(configFile, configYaml({ port, storage, htpasswd, tls: options.tls }));
      daemon = await Daemon.start(binary, ['serve', configFile], logFile);
      const url = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
      const started = daemon;
      try {
        await waitUntil(
          `docker-registry on ${url}`,
          async () => {
            // A TLS registry may want a client certificate: that it accepts connections is enough.
            if (options.tls) return accepts(port);
            const res = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
            await res.arrayBuffer();
            return res.status === 200 || res.status === 401;
          },
          { timeoutMs: options.startTimeoutMs ?? 15_000, signal, fail: () => started.exitReason },
        );
      } catch (err) {
        const tail = await started.tail();
        await started.stop();
        daemon = undefined;
        if (isTestBedError(err, 'ABORTED')) throw err;
        if (attempt < 3 && /address already in use/.test(tail)) continue;
        throw new TestBedError('START_FAILED', `startRegistry: ${(err as Error).message}; log ${logFile}:\n${tail}`, { cause: err });
      }
      let closed: Promise<void> | undefined;
      const registry: Registry = {
        id,
        host: `127.0.0.1:${port}`,
        url,
        dir,
        storage,
        logFile,
        auth,
        close: () => (closed ??= cleanup()),
        [Symbol.asyncDispose]: () => registry.close(),
      };
      return registry;
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
}
