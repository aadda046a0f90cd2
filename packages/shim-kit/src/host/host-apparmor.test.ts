import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appArmorProfileLoaded, appArmorProfileName } from './host-apparmor.js';

describe('AppArmor profiles', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-apparmor-${process.pid}-`));
    await writeFile(join(dir, 'profiles'), 'cri-validate-apparmor-test-deny-write (enforce)\n/usr/bin/man (complain)\nwith (parens) in name (enforce)\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names a Localhost reference with or without its localhost/ prefix', () => {
    expect(appArmorProfileName('localhost/deny-write')).toBe('deny-write');
    expect(appArmorProfileName('deny-write')).toBe('deny-write');
  });

  it('finds loaded profiles in the kernel listing', async () => {
    const profilesFile = join(dir, 'profiles');
    expect(await appArmorProfileLoaded('cri-validate-apparmor-test-deny-write', { profilesFile })).toBe(true);
    expect(await appArmorProfileLoaded('/usr/bin/man', { profilesFile })).toBe(true);
    expect(await appArmorProfileLoaded('with (parens) in name', { profilesFile })).toBe(true);
    expect(await appArmorProfileLoaded('non-existent-profile', { profilesFile })).toBe(false);
    expect(await appArmorProfileLoaded('cri-validate-apparmor-test-deny-write', { profilesFile: join(dir, 'missing') })).toBe(false);
  });
});
