import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@shimkit/image-store';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { startRegistry } from '@shimkit/test-bed';
import { pushTestImages } from '@shimkit/test-images';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shimkit, withShimkitServe } from './cli-harness.js';

let registry: Registry;
let images: TestImages;
let dir: string;
let gnupg: string;
let fingerprint: string;
let client: RegistryClient;

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-image-sign-${process.pid}-`));
  gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg };
  await execa('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'cli signer <cli@example.com>', 'default', 'default', 'never'], { env });
  fingerprint = (await execa('gpg', ['--with-colons', '--list-secret-keys'], { env })).stdout.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
  await writeFile(join(dir, 'signer.gpg'), (await execa('gpg', ['--export', fingerprint], { env, encoding: 'buffer' })).stdout);
  await writeFile(join(dir, 'pass'), 'cli pass\n');
  await mkdir(join(dir, 'registries.d'));
  await writeFile(join(dir, 'registries.d', 'local.yaml'), `docker:\n  ${registry.host}:\n    lookaside: file://${join(dir, 'lookaside')}\n`);
});
afterAll(async () => {
  await client?.close();
  await registry?.close();
  if (gnupg) await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: gnupg }, reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function publish(repo: string): Promise<string> {
  const dst = `docker://${registry.host}/${repo}:v1`;
  expect((await shimkit(['image', 'copy', '-q', `docker://${images.busybox.reference}`, dst])).code).toBe(0);
  return dst;
}

describe('shimkit image generate-key, sign, verify', () => {
  it('generates a key pair, signs with it, and verifies with the public key only', async () => {
    const prefix = join(dir, 'team');
    expect(await shimkit(['image', 'generate-key', '--output-prefix', prefix])).toMatchObject({ code: 2, err: expect.stringContaining('generate-key needs --passphrase-file FILE') });
    const made = await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')]);
    expect(made).toMatchObject({ code: 0, err: `Key pair written: ${prefix}.key (private, encrypted) and ${prefix}.pub (public)\n` });
    expect(await readFile(`${prefix}.key`, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    const before = await readFile(`${prefix}.key`, 'utf8');
    expect(await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')])).toMatchObject({ code: 2, err: expect.stringContaining(`${prefix}.key exists; not overwriting it`) });
    expect(await readFile(`${prefix}.key`, 'utf8')).toBe(before);
    // A public key in the way: nothing is written, not even the private key.
    await writeFile(join(dir, 'taken.pub'), 'someone else\'s');
    expect(await shimkit(['image', 'generate-key', '--output-prefix', join(dir, 'taken'), '--passphrase-file', join(dir, 'pass')])).toMatchObject({ code: 2, err: expect.stringContaining(`${join(dir, 'taken')}.pub exists; not overwriting it`) });
    expect(existsSync(join(dir, 'taken.key'))).toBe(false);
    expect(await shimkit(['image', 'generate-key', '--output-prefix', join(dir, 'x'), '--passphrase-file', join(dir, 'no-such-file')])).toMatchObject({ code: 2, err: expect.stringContaining(`--passphrase-file: cannot read ${join(dir, 'no-such-file')}`) });

    const image = await publish('cli/app');
    const unsigned = await shimkit(['image', 'verify', '--key', `${prefix}.pub`, image]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain(`${image} refused by signature policy --key ${prefix}.pub, rule default[0] (sigstoreSigned): the image has no sigstore signatures`);

    await writeFile(join(dir, 'wrong-pass'), 'nope');
    const wrong = await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'wrong-pass'), image]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain(`${prefix}.key: cannot decrypt it: wrong passphrase`);

    const signed = await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'pass'), image]);
    expect(signed.code, signed.err).toBe(0);
    expect(signed.err).toContain(`Signed ${image} (${images.busybox.digest}) as ${registry.host}/cli/app:v1: ${image.replace(':v1', '')}:sha256-${images.busybox.digest.slice(7)}.sig`);
    expect(await shimkit(['image', 'verify', '--key', `${prefix}.pub`, image])).toMatchObject({ code: 0, out: `Verified ${image}: ${images.busybox.digest}\n` });
    const v2 = image.replace(':v1', ':v2');
    await client.tag(image.slice('docker://'.length), 'v2');
    expect((await shimkit(['image', 'verify', '--key', `${prefix}.pub`, v2])).err).toContain('which does not match');
    expect((await shimkit(['image', 'verify', '--key', `${prefix}.pub`, '--identity', 'repository', v2])).code).toBe(0);
  });

  it('signs with gpg into the registries.d lookaside, and verifies with the keyring or a policy file', async () => {
    const image = await publish('cli/gpg');
    const noStore = await shimkit(['image', 'sign', '--sign-by', fingerprint, '--gpg-homedir', gnupg, image]);
    expect(noStore.code).toBe(1);
    expect(noStore.err).toContain('no lookaside store is configured');
    const signed = await shimkit(['image', 'sign', '--sign-by', fingerprint, '--gpg-homedir', gnupg, '--registries.d', join(dir, 'registries.d'), image]);
    expect(signed.code, signed.err).toBe(0);
    expect(existsSync(join(dir, 'lookaside', 'cli', `gpg@sha256=${images.busybox.digest.slice(7)}`, 'signature-1'))).toBe(true);
    expect((await shimkit(['image', 'verify', '--keyring', join(dir, 'signer.gpg'), '--registries.d', join(dir, 'registries.d'), image])).code).toBe(0);
    // Without --registries.d, the user's ~/.config/containers/registries.d is read, as containers/image does.
    const savedHome = process.env.HOME;
    process.env.HOME = join(dir, 'home');
    try {
      await mkdir(join(dir, 'home', '.config', 'containers'), { recursive: true });
      expect((await shimkit(['image', 'verify', '--keyring', join(dir, 'signer.gpg'), image])).err).toContain('the image has no GPG signatures');
      await execa('cp', ['-r', join(dir, 'registries.d'), join(dir, 'home', '.config', 'containers', 'registries.d')]);
      expect((await shimkit(['image', 'verify', '--keyring', join(dir, 'signer.gpg'), image])).code).toBe(0);
    } finally {
      process.env.HOME = savedHome;
    }
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [`${registry.host}/cli`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: join(dir, 'signer.gpg') }] } } }));
    expect((await shimkit(['image', 'verify', '--policy', join(dir, 'policy.json'), '--registries.d', join(dir, 'registries.d'), image])).code).toBe(0);
    const other = await shimkit(['image', 'verify', '--policy', join(dir, 'policy.json'), `docker://${images.busybox.reference}`]);
    expect(other.code).toBe(1);
    expect(other.err).toContain(`rule default[0] (reject): the rule rejects every image`);
  });

  it('copy --policy refuses an unsigned source before writing anything, and copies a signed one', async () => {
    const prefix = join(dir, 'copykey');
    expect((await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')])).code).toBe(0);
    await writeFile(join(dir, 'copy-policy.json'), JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: `${prefix}.pub` }], transports: { oci: { '': [{ type: 'insecureAcceptAnything' }] } } }));
    const image = await publish('cli/copy');
    const out = join(dir, 'copied');
    const refused = await shimkit(['image', 'copy', '-q', '--policy', join(dir, 'copy-policy.json'), image, `oci:${out}:v1`]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`copy of ${image} to oci:${out}:v1: ${image} refused by signature policy ${join(dir, 'copy-policy.json')}, rule default[0] (sigstoreSigned): the image has no sigstore signatures [POLICY_REJECTED]`);
    expect(existsSync(out)).toBe(false);
    expect((await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'pass'), image])).code).toBe(0);
    expect((await shimkit(['image', 'copy', '-q', '--policy', join(dir, 'copy-policy.json'), image, `oci:${out}:v1`])).code).toBe(0);
    // An OCI layout has no signatures; its transport scope accepts anything.
    expect((await shimkit(['image', 'copy', '-q', '--policy', join(dir, 'copy-policy.json'), `oci:${out}:v1`, `oci:${join(dir, 'again')}:v1`])).code).toBe(0);
    await writeFile(join(dir, 'bad-policy.json'), '{"default": [{"type": "signedBy"}]}');
    const bad = await shimkit(['image', 'copy', '-q', '--policy', join(dir, 'bad-policy.json'), image, `oci:${join(dir, 'never')}:v1`]);
    expect(bad.err).toContain(`invalid signature policy ${join(dir, 'bad-policy.json')}: default[0].keyType: expected "GPGKeys"`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('copy carries sigstore signatures from registry to registry unless --remove-signatures', async () => {
    const prefix = join(dir, 'carrykey');
    expect((await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')])).code).toBe(0);
    const image = await publish('cli/carry-src');
    expect((await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'pass'), image])).code).toBe(0);
    const dst = `docker://${registry.host}/cli/carry-dst:v1`;
    const copied = await shimkit(['image', 'copy', image, dst]);
    expect(copied.err).toContain('mounted, 1 signature copied)');
    // The signature names the source repository; a policy for the mirror says so.
    await writeFile(join(dir, 'mirror-policy.json'), JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: `${prefix}.pub`, signedIdentity: { type: 'exactRepository', dockerRepository: `${registry.host}/cli/carry-src` } }] }));
    expect(await shimkit(['image', 'verify', '--policy', join(dir, 'mirror-policy.json'), dst])).toMatchObject({ code: 0 });
    const bare = `docker://${registry.host}/cli/carry-bare:v1`;
    expect((await shimkit(['image', 'copy', '--remove-signatures', image, bare])).err).not.toContain('signature');
    expect((await shimkit(['image', 'verify', '--policy', join(dir, 'mirror-policy.json'), bare])).err).toContain('the image has no sigstore signatures');
  });

  it('copy signs what it wrote with --sign-by-sigstore-private-key or --sign-by, and checks the key before copying', async () => {
    const prefix = join(dir, 'copysign');
    expect((await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')])).code).toBe(0);
    const dst = `docker://${registry.host}/cli/copy-signed:v1`;
    const badPass = await shimkit(['image', 'copy', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'wrong-pass'), `docker://${images.busybox.reference}`, dst]);
    expect(badPass.code).toBe(1);
    expect(badPass.err).toContain('cannot decrypt it: wrong passphrase');
    await expect(client.getManifest(dst.slice('docker://'.length))).rejects.toThrow();
    const copied = await shimkit(['image', 'copy', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'pass'), '--sign-by', fingerprint, '--gpg-homedir', gnupg, '--registries.d', join(dir, 'registries.d'), `docker://${images.busybox.reference}`, dst]);
    expect(copied.code, copied.err).toBe(0);
    expect(copied.err).toContain(`Signed ${dst} (${images.busybox.digest}) as ${registry.host}/cli/copy-signed:v1`);
    expect((await shimkit(['image', 'verify', '--key', `${prefix}.pub`, dst])).code).toBe(0);
    expect((await shimkit(['image', 'verify', '--keyring', join(dir, 'signer.gpg'), '--registries.d', join(dir, 'registries.d'), dst])).code).toBe(0);
    const toLayout = await shimkit(['image', 'copy', '--sign-by', fingerprint, `docker://${images.busybox.reference}`, `oci:${join(dir, 'unsignable')}`]);
    expect(toLayout).toMatchObject({ code: 2, err: expect.stringContaining('signing while copying needs a docker:// destination') });
  });

  it('usage errors exit 2', async () => {
    const image = `docker://${images.busybox.reference}`;
    expect((await shimkit(['image', 'verify', image])).err).toContain('verify needs exactly one of --policy FILE, --key FILE and --keyring FILE');
    expect((await shimkit(['image', 'verify', '--key', 'a', '--keyring', 'b', image])).code).toBe(2);
    expect((await shimkit(['image', 'verify', '--key', 'a', '--identity', 'loose', image])).err).toContain('--identity must be one of exact, repo-digest-or-exact, repository');
    expect((await shimkit(['image', 'sign', image])).err).toContain('sign needs --sign-by-sigstore-private-key FILE or --sign-by FINGERPRINT');
    expect((await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', 'k', image])).code).toBe(2);
    expect((await shimkit(['image', 'sign', '--sign-by', 'x', `oci:${dir}/x`])).err).toContain('sign works on docker:// images');
  });
});

describe('shimkit serve with images.signaturePolicy', () => {
  it('PullImage of a refused image fails PermissionDenied naming the rule, and stores nothing; a signed image pulls', async () => {
    const prefix = join(dir, 'servekey');
    expect((await shimkit(['image', 'generate-key', '--output-prefix', prefix, '--passphrase-file', join(dir, 'pass')])).code).toBe(0);
    const policy = join(dir, 'serve-policy.json');
    await writeFile(policy, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [`${registry.host}/serve`]: [{ type: 'sigstoreSigned', keyPath: `${prefix}.pub` }] } } }));
    const unsigned = await publish('serve/unsigned');
    const signedImage = await publish('serve/signed');
    expect((await shimkit(['image', 'sign', '--sign-by-sigstore-private-key', `${prefix}.key`, '--sign-passphrase-file', join(dir, 'pass'), signedImage])).code).toBe(0);

    const root = join(dir, 'serve-root');
    await writeFile(join(dir, 'serve.json'), JSON.stringify({ logLevel: 'error', network: { confDir: join(dir, 'no-cni') }, images: { signaturePolicy: policy } }));
    await withShimkitServe({ socket: join(dir, 'cri.sock'), root, state: join(dir, 'serve-state'), config: join(dir, 'serve.json') }, async (cri) => {
      const name = unsigned.slice('docker://'.length);
      const refused = await cri.image.pullImage({ image: { image: name, annotations: {} } }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
      expect(refused).toMatchObject({ code: 'PermissionDenied' });
      expect(refused!.message).toContain(`pulling image ${name}: docker://${name} refused by signature policy ${policy}, rule transports.docker["${registry.host}/serve"][0] (sigstoreSigned): the image has no sigstore signatures`);
      expect((await cri.image.listImages({})).images).toEqual([]);
      const blobs = async () => (await readdir(join(root, 'images'), { recursive: true })).filter((f) => f.startsWith(join('content', 'blobs', 'sha256', '')));
      expect(await blobs()).toEqual([]);
      const other = await cri.image.pullImage({ image: { image: images.busybox.reference, annotations: {} } }).then(() => undefined, (e: unknown) => e as { message: string });
      expect(other!.message).toContain('rule default[0] (reject)');
      const pulled = await cri.image.pullImage({ image: { image: signedImage.slice('docker://'.length), annotations: {} } });
      expect(pulled.imageRef).toBe(images.busybox.configDigest);
      expect(await blobs()).toContain(join('content', 'blobs', 'sha256', images.busybox.configDigest.slice(7)));
    });
  });
});
