import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A real docker-registry serving HTTPS on 127.0.0.1 with a self-signed certificate made for this run. */
export async function startTlsRegistry(): Promise<{ host: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `shimkit-tls-registry-${process.pid}-`));
  let child: ChildProcess | undefined;
  const close = async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    const port = await freePort();
    await writeFile(join(dir, 'config.yml'), [
      'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'storage')}`,
      'http:', `  addr: 127.0.0.1:${port}`, '  tls:', `    certificate: ${join(dir, 'cert.pem')}`, `    key: ${join(dir, 'key.pem')}`, '',
    ].join('\n'));
    child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    const host = `127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const probe = createServer();
        probe.once('error', () => resolve(true)).listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
      });
      if (up) break;
      if (i > 150 || child.exitCode !== null) throw new Error('TLS docker-registry did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { host, close };
  } catch (e) {
    await close();
    throw e;
  }
}
