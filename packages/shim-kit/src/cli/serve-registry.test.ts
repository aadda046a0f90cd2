import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from './run-cli.js';
import { checkRegistryFiles, withContainersDefaults } from './serve-registry.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), `shimkit-serve-registry-${process.pid}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('serve registry files', () => {
  it('defaults to the containers tools\' registries.conf and certs.d when present; the config file\'s paths or false win', async () => {
    const none = { env: {}, systemRoot: dir };
    expect(withContainersDefaults({}, none)).toEqual({});
    await mkdir(join(dir, 'etc/containers/certs.d'), { recursive: true });
    await writeFile(join(dir, 'etc/containers/registries.conf'), '');
    expect(withContainersDefaults({ pinnedImages: ['p'] }, none)).toEqual({
      pinnedImages: ['p'],
      registriesConf: join(dir, 'etc/containers/registries.conf'),
      certsDir: join(dir, 'etc/containers/certs.d'),
    });
    const env = { env: { CONTAINERS_REGISTRIES_CONF: '/elsewhere.conf' }, systemRoot: dir };
    expect(withContainersDefaults({}, env).registriesConf).toBe('/elsewhere.conf');
    expect(withContainersDefaults({ registriesConf: '/mine.conf', certsDir: false }, env)).toEqual({ registriesConf: '/mine.conf', certsDir: false });
  });

  it('a bad registry file stops serve before it starts, with exit 2 naming the file', async () => {
    const conf = join(dir, 'registries.conf');
    await writeFile(conf, '[[registry]]\nlocation = "a.example"\ninsecure = "yes"\n');
    await expect(checkRegistryFiles({ registriesConf: conf })).rejects.toThrow(`registry configuration: ${conf}: registry[0].insecure: expected true or false, got "yes"`);
    await writeFile(join(dir, 'c.json'), JSON.stringify({ images: { registriesConf: conf, registry: { configPath: join(dir, 'hosts') } } }));
    let err = '';
    const code = await runCli(['serve', '--socket', join(dir, 'cri.sock'), '--root', join(dir, 'root'), '--state', join(dir, 'state'), '--config', join(dir, 'c.json')], { stderr: (t) => void (err += t), stdout: () => undefined });
    expect(code).toBe(EXIT.usage);
    expect(err).toBe(`shimkit: registry configuration: ${conf}: registry[0].insecure: expected true or false, got "yes"\n`);
    await expect(rm(join(dir, 'root'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
