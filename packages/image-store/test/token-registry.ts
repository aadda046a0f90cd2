import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, createSign, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './fake-registry.js';

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A real docker-registry configured for token auth, and a token server
 * written here that issues RS256 JWTs (x5c-signed with a throwaway
 * certificate the registry trusts) to one user, for whatever scope is asked.
 */
export interface TokenRegistry {
  host: string;
  user: { username: string; password: string };
  /** Scopes the token server was asked for, in order. */
  tokenRequests: string[];
  close(): Promise<void>;
}

export async function startTokenRegistry(): Promise<TokenRegistry> {
  const dir = mkdtempSync(join(tmpdir(), `shimkit-token-registry-${process.pid}-`));
  let child: ChildProcess | undefined;
  let tokens: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=shimkit-token-issuer',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw;
    const user = { username: 'tokenuser', password: randomBytes(8).toString('hex') };
    const tokenRequests: string[] = [];
    const service = 'shimkit-token-test';
    const issuer = 'shimkit-token-issuer';

    tokens = await startServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const scopes = url.searchParams.getAll('scope');
      tokenRequests.push(scopes.join(' '));
      const basic = req.headers.authorization?.startsWith('Basic ') ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString() : '';
      if (basic !== `${user.username}:${user.password}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const access = scopes.flatMap((s) => {
        const [type, ...rest] = s.split(':');
        const actions = rest.pop() ?? '';
        return [{ type, name: rest.join(':'), actions: actions.split(',').filter((a) => a !== '*') }];
      });
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
      const claims = { iss: issuer, sub: user.username, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
      const unsigned = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const signature = createSign('RSA-SHA256').update(unsigned).sign(key);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `${unsigned}.${b64url(signature)}`, expires_in: 300, issued_at: new Date().toISOString() }));
    });

    const port = await freePort();
    writeFileSync(join(dir, 'config.yml'), [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${JSON.stringify(join(dir, 'data'))}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      'auth:',
      '  token:',
      `    realm: ${tokens.url}/token`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${JSON.stringify(join(dir, 'cert.pem'))}`,
      '',
    ].join('\n'));
    child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const status = await fetch(`http://${host}/v2/`).then((r) => r.status, () => 0);
      if (status === 401) break;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`docker-registry did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = child;
    const server = tokens;
    return {
      host,
      user,
      tokenRequests,
      close: async () => {
        started.kill('SIGTERM');
        if (started.exitCode === null) await new Promise((r) => started.once('exit', r));
        await server.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    child?.kill('SIGKILL');
    await tokens?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
