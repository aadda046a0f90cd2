import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistryFixture, type RegistryFixture } from '../../src/modules/images/registry-fixture.test-helper.js';
import { shimkit } from '../image-cli/cli-harness.js';

// skopeo's and podman's files for `shimkit image` and `shimkit pull`: a registry known only to a
// registries.conf, and the default policy.json; the environment points at this test's files,
// never the host's.
let fixture: RegistryFixture;
let dir: string;
let conf: string;
const saved = { HOME: process.env.HOME, CONTAINERS_REGISTRIES_CONF: process.env.CONTAINERS_REGISTRIES_CONF };

beforeAll(async () => {
  fixture = await startRegistryFixture();
  dir = await mkdtemp(join(tmpdir(), `shimkit-containers-files-${process.pid}-`));
  conf = join(dir, 'registries.conf');
  await writeFile(conf, `[[registry]]\nprefix = "conf.test"\nlocation = "${fixture.registry.host}"\n`);
  await mkdir(join(dir, 'home/.config/containers'), { recursive: true });
  await writeFile(join(dir, 'home/.config/containers/policy.json'), JSON.stringify({ default: [{ type: 'reject' }] }));
  process.env.HOME = join(dir, 'home');
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await fixture?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('containers files in the image CLI', () => {
  it('copies from a registry known only to --registries-conf; the default policy.json in $HOME applies unless --insecure-policy', async () => {
    const src = 'docker://conf.test/busybox:latest';
    const refused = await shimkit(['image', 'copy', '--quiet', '--registries-conf', conf, src, `oci:${join(dir, 'refused')}:v1`]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(join(dir, 'home/.config/containers/policy.json'));
    const copied = await shimkit(['image', 'copy', '--quiet', '--insecure-policy', '--registries-conf', conf, src, `oci:${join(dir, 'layout')}:v1`]);
    expect(copied).toMatchObject({ code: 0, err: '' });
    const both = await shimkit(['image', 'copy', '--insecure-policy', '--policy', 'p.json', src, `oci:${join(dir, 'x')}:v1`]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--policy and --insecure-policy exclude each other');
  });

  it('inspect and pull read $CONTAINERS_REGISTRIES_CONF', async () => {
    process.env.CONTAINERS_REGISTRIES_CONF = conf;
    const inspected = await shimkit(['image', 'inspect', '--format', 'json', 'docker://conf.test/busybox:latest']);
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out)).toMatchObject({ digest: fixture.images.busybox.digest });
    const pulled = await shimkit(['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), 'pull', '--quiet', 'conf.test/pause:latest']);
    expect(pulled).toMatchObject({ code: 0, out: `${fixture.images.pause.configDigest.slice('sha256:'.length)}\n` });
    process.env.CONTAINERS_REGISTRIES_CONF = join(dir, 'missing.conf');
    const missing = await shimkit(['image', 'inspect', 'docker://conf.test/busybox:latest']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`cannot read registries.conf ${join(dir, 'missing.conf')}`);
  });
});
