import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRegistriesConf, parseRegistriesConf } from './registries-conf.js';
import { loadRegistryConfigFiles } from './registry-config-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), `shimkit-regconf-${process.pid}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('containers registries.conf v2', () => {
  it('reads registries with their location, insecure, blocked and mirrors in order', () => {
    const conf = parseRegistriesConf(`
unqualified-search-registries = ["registry.example", "docker.io"]
short-name-mode = "enforcing"

[[registry]]
prefix = "registry.example"
location = "10.0.0.5:5000"
insecure = true

[[registry.mirror]]
location = "mirror-a.example"

[[registry.mirror]]
location = "127.0.0.1:5001"
insecure = true
pull-from-mirror = "all"

[[registry]]
location = "quay.io"
blocked = true

[aliases]
"app" = "registry.example/team/app"
`, 'registries.conf');
    expect(conf).toEqual({
      unqualifiedSearchRegistries: ['registry.example', 'docker.io'],
      hosts: {
        'registry.example': { endpoint: '10.0.0.5:5000', tls: { insecureSkipVerify: true }, mirrors: ['mirror-a.example', '127.0.0.1:5001'] },
        '127.0.0.1:5001': { tls: { insecureSkipVerify: true } },
        'quay.io': { blocked: true },
      },
    });
  });

  it.each([
    ['[registries.search]\nregistries = ["docker.io"]', /the v1 format .* is not supported/],
    ['unqualified-search-registry = ["docker.io"]', /unknown key "unqualified-search-registry"/],
    ['[[registry]]\nprefix = "docker.io/library"\nlocation = "m.example"', /registry\[0\].prefix: "docker.io\/library": only whole registries/],
    ['[[registry]]\nprefix = "*.example.com"', /only whole registries/],
    ['[[registry]]\nlocation = "a.example"\ninsecure = "yes"', /registry\[0\].insecure: expected true or false, got "yes"/],
    ['[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\nlocation = "m"\npull-from-mirror = "digest-only"', /mirror\[0\].pull-from-mirror: only "all" is supported/],
    ['[[registry]]\nlocation = "a.example"\n[[registry]]\nprefix = "a.example"', /registry\[1\]: registry a.example is configured twice/],
    ['[[registry]]\nlocaton = "a.example"', /registry\[0\]: unknown key "locaton"/],
    ['[[registry]\n', /not valid TOML/],
  ])('refuses %j with an error naming what is wrong', (text, message) => {
    expect(() => parseRegistriesConf(text, 'registries.conf')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }));
  });
});

describe('loadRegistryConfigFiles', () => {
  it('lays certs.d over registries.conf and containerd hosts over both, field by field', async () => {
    const conf = join(dir, 'registries.conf');
    await writeFile(conf, '[[registry]]\nlocation = "a.example"\ninsecure = true\n[[registry.mirror]]\nlocation = "m.example"\n');
    await mkdir(join(dir, 'certs.d', 'a.example'), { recursive: true });
    await writeFile(join(dir, 'certs.d', 'a.example', 'ca.crt'), 'x');
    await mkdir(join(dir, 'hosts', 'a.example'), { recursive: true });
    await writeFile(join(dir, 'hosts', 'a.example', 'hosts.toml'), 'server = "http://a.example"\n');
    expect(await loadRegistryConfigFiles({ registriesConf: conf, certsDir: join(dir, 'certs.d'), hostsDir: join(dir, 'hosts') })).toEqual({
      'a.example': { mirrors: ['m.example'], plainHttp: true, tls: { insecureSkipVerify: true, caFile: [join(dir, 'certs.d', 'a.example', 'ca.crt')] } },
    });
  });

  it('reads the drop-ins of registries.conf.d in name order: a later registry replaces an earlier one whole', async () => {
    const conf = join(dir, 'registries.conf');
    await writeFile(conf, 'unqualified-search-registries = ["a.example"]\n[[registry]]\nlocation = "a.example"\ninsecure = true\n[[registry]]\nlocation = "b.example"\n');
    await mkdir(`${conf}.d`);
    await writeFile(join(`${conf}.d`, '20-mirror.conf'), '[[registry]]\nlocation = "a.example"\n[[registry.mirror]]\nlocation = "m.example"\n');
    await writeFile(join(`${conf}.d`, '10-shortnames.conf'), '[aliases]\n"app" = "a.example/app"\n');
    await writeFile(join(`${conf}.d`, '30-search.conf'), 'unqualified-search-registries = ["b.example"]\n');
    await writeFile(join(`${conf}.d`, 'notes.txt'), 'not a drop-in');
    expect(await loadRegistriesConf(conf)).toEqual({
      unqualifiedSearchRegistries: ['b.example'],
      hosts: { 'a.example': { mirrors: ['m.example'] }, 'b.example': {} },
    });
    await writeFile(join(`${conf}.d`, '40-bad.conf'), '[[registry]]\nlocation = 5\n');
    await expect(loadRegistriesConf(conf)).rejects.toThrow(`${join(`${conf}.d`, '40-bad.conf')}: registry[0].location: expected a registry host, got 5`);
  });

  it('names a registries.conf it cannot read', async () => {
    await expect(loadRegistryConfigFiles({ registriesConf: join(dir, 'nope.conf') })).rejects.toThrow(`cannot read registries.conf ${join(dir, 'nope.conf')}: ENOENT`);
  });
});
