import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageReference } from '@shimkit/oci-spec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRegistriesDir, signatureStorageFor } from './registries-d.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shimkit-registries-d-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('registries.d', () => {
  it('merges the YAML files and picks the most precise scope, else default-docker', async () => {
    await writeFile(join(dir, 'a.yaml'), 'default-docker:\n  lookaside-staging: file:///var/staging\ndocker:\n  registry.example.com:\n    lookaside: https://sigs.example.com\n');
    await writeFile(join(dir, 'b.yaml'), 'docker:\n  registry.example.com/team:\n    lookaside: file:///srv/team\n    use-sigstore-attachments: false\n');
    await writeFile(join(dir, 'ignored.conf'), 'not: [yaml');
    const config = await loadRegistriesDir(dir);
    expect(signatureStorageFor(config, parseImageReference('registry.example.com/team/app:v1'))).toEqual({ lookaside: 'file:///srv/team', useSigstoreAttachments: false });
    expect(signatureStorageFor(config, parseImageReference('registry.example.com/other/app:v1'))).toEqual({ lookaside: 'https://sigs.example.com' });
    expect(signatureStorageFor(config, parseImageReference('quay.io/x/y:v1'))).toEqual({ lookasideStaging: 'file:///var/staging' });
    expect(await loadRegistriesDir(join(dir, 'missing'))).toEqual({ docker: {} });
  });

  it.each([
    ['a scope configured in two files', 'docker:\n  registry.example.com:\n    lookaside: file:///x\n', 'registry.example.com is configured again (first in'],
    ['an unknown key', 'docker:\n  quay.io:\n    lookasides: file:///x\n', 'docker.quay.io: unknown key "lookasides"'],
    ['a URL of another scheme', 'docker:\n  quay.io:\n    lookaside: /plain/path\n', 'expected a file://, http:// or https:// URL'],
    ['a non-boolean attachments flag', 'docker:\n  quay.io:\n    use-sigstore-attachments: yes please\n', 'use-sigstore-attachments: expected true or false'],
    ['broken YAML', 'docker: [\n', 'not valid YAML'],
    ['an unknown top-level key', 'dokker: {}\n', 'unknown top-level key "dokker"'],
  ])('refuses %s, naming the file', async (_, text, message) => {
    await writeFile(join(dir, 'a.yaml'), 'docker:\n  registry.example.com:\n    lookaside: file:///a\n');
    await writeFile(join(dir, 'b.yaml'), text);
    await expect(loadRegistriesDir(dir)).rejects.toThrow(message);
    await expect(loadRegistriesDir(dir)).rejects.toThrow(/b\.yaml/);
  });
});
