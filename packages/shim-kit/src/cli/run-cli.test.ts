import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@shimkit/cri-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from './run-cli.js';

describe('runCli', () => {
  let dir: string;
  let out: string;
  let err: string;
  const io = (waitForSignal?: () => Promise<string>) => ({ stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t), ...(waitForSignal ? { waitForSignal } : {}) });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-cli-${process.pid}-`));
    out = '';
    err = '';
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves until a signal, with the config file and the log level of the command line', async () => {
    await writeFile(join(dir, 'c.json'), JSON.stringify({ logLevel: 'error', runtimeName: 'my-shim', network: { confDir: join(dir, 'no-cni') } }));
    let stop!: (name: string) => void;
    const signalled = new Promise<string>((r) => (stop = r));
    const socket = join(dir, 'cri.sock');
    const running = runCli(['serve', '--socket', socket, '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', join(dir, 'c.json'), '--log-level', 'info'], io(() => signalled));
    for (let i = 0; i < 200 && !err.includes('shimkit serving'); i++) await new Promise((r) => setTimeout(r, 25));
    const cri = await connect(`unix://${socket}`);
    expect((await cri.runtime.version({})).runtimeName).toBe('my-shim');
    const network = (await cri.runtime.status({})).status?.conditions.find((c) => c.type === 'NetworkReady');
    expect(network).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    await cri.close();
    stop('SIGTERM');
    expect(await running).toBe(EXIT.ok);
    expect(err).toMatch(/INFO {2}shutting down; containers keep running signal=SIGTERM\n.*INFO {2}shim stopped\n$/);
  });

  it('prints usage to stderr with exit 2, help and version to stdout with exit 0', async () => {
    expect(await runCli(['serve'], io())).toBe(EXIT.usage);
    expect(err).toContain('shimkit: serve needs --socket, --root, --state\n\nUsage:');
    expect(await runCli(['help'], io())).toBe(EXIT.ok);
    expect(await runCli(['version'], io())).toBe(EXIT.ok);
    expect(out).toMatch(/^Usage: shimkit serve[\s\S]*\nshimkit 0\.\d+\.\d+\n$/);
  });
});
