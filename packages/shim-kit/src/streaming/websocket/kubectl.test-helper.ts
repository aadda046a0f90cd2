// kubectl (client-go) as a test client: whether it is there, how to run it against a fake API
// server, and the few answers such a server needs for `kubectl exec/attach/port-forward` on pod `p`.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { runIf } from '@shimkit/test-bed';

/** Whether `file args` runs and exits 0 (within 20 s). */
export function commandRuns(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/** Skips tests that run kubectl where it is not installed (Debian has no package of it). */
export const needsKubectl = runIf(commandRuns('kubectl', ['version', '--client']), 'kubectl is not installed (no Debian package; put a kubectl >= 1.30 on PATH)');
/** Skips tests without util-linux script(1), which gives kubectl the terminal `exec -t` needs. */
export const needsScript = runIf(commandRuns('script', ['-qec', 'true', '/dev/null']), 'script(1) of util-linux is missing: it gives kubectl a terminal');

/** kubectl talks to `server` only: no kubeconfig is read. */
export const KUBECTL_ENV = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig' };

/** Starts kubectl against the API server at `server`. */
export function spawnKubectl(server: string, args: string[]): ChildProcessWithoutNullStreams {
  return spawn('kubectl', [`--server=${server}`, ...args], { env: KUBECTL_ENV, timeout: 30_000 });
}

/** Runs kubectl to its end with `stdin` as its input. */
export function runKubectl(server: string, args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnKubectl(server, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** The command line that runs kubectl under script(1) on a terminal of `rows` x `cols`. */
export function onTerminal(server: string, kubectlArgs: string, size: { rows: number; cols: number }): string[] {
  return ['-qec', `stty rows ${size.rows} cols ${size.cols}; KUBECONFIG=${KUBECTL_ENV.KUBECONFIG} kubectl --server=${server} ${kubectlArgs}`, '/dev/null'];
}

/**
 * Answers the discovery and pod GETs kubectl makes before an exec, attach or port-forward on pod
 * `p` in `default` (whose containers are `containers`); false for any other path.
 */
export function answerKubectlGet(path: string, res: ServerResponse, containers: object[]): boolean {
  const json = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const sub = (name: string, kind: string): object => ({ name, singularName: '', namespaced: true, kind, verbs: ['create', 'get'] });
  switch (path) {
    case '/version':
      json({ major: '1', minor: '32', gitVersion: 'v1.32.0' });
      return true;
    case '/api':
      json({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
      return true;
    case '/apis':
      json({ kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      return true;
    case '/api/v1':
      json({
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get'] },
          sub('pods/exec', 'PodExecOptions'), sub('pods/attach', 'PodAttachOptions'), sub('pods/portforward', 'PodPortForwardOptions'),
        ],
      });
      return true;
    case '/api/v1/namespaces/default/pods/p':
      json({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: 'default' }, spec: { containers }, status: { phase: 'Running' } });
      return true;
    default:
      return false;
  }
}

/** The local port a `kubectl port-forward` child listens on, once it says so (at most 10 s); rejects with its output otherwise. */
export async function forwardedPort(child: ChildProcessWithoutNullStreams): Promise<number> {
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 200 && !/Forwarding from 127\.0\.0\.1:\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const port = Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
  if (!(port > 0)) throw new Error(`kubectl port-forward did not start: ${out}`);
  return port;
}
