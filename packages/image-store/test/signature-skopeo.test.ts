import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest, ImageReference } from '@shimkit/oci-spec';
import { parseImageReference } from '@shimkit/oci-spec';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/registry-client.js';
import { parseImageLocation } from '../src/transport/image-location.js';
import { SignaturePolicyEnforcer } from '../src/signature/policy-enforcer.js';
import { loadRegistriesDir } from '../src/signature/registries-d.js';
import { signRegistryImage } from '../src/signature/sign-image.js';
import { parseSignaturePolicy } from '../src/signature/signature-policy.js';
import { generateSigstoreKeyPair, loadSigstorePrivateKey } from '../src/signature/sigstore-key.js';

// Interop with Debian's skopeo 1.9 (containers/image) and gpg: each side signs, the other verifies.
let registry: Registry;
let images: TestImages;
let client: RegistryClient;
let dir: string;
let gnupg: string;
let fingerprint: string;
const files = {} as Record<'priv' | 'pub' | 'pass' | 'otherPub' | 'gpgPub' | 'registriesD' | 'lookaside', string>;

async function gpg(args: string[], input?: string) {
  return execa('gpg', ['--batch', '--no-tty', ...args], { env: { GNUPGHOME: gnupg }, ...(input === undefined ? {} : { input }) });
}

async function skopeo(args: string[], policy: object) {
  const policyFile = join(dir, `policy-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(policyFile, JSON.stringify(policy));
  return execa('skopeo', ['--registries.d', files.registriesD, '--policy', policyFile, ...args], { env: { GNUPGHOME: gnupg }, reject: false });
}

const acceptAll = { default: [{ type: 'insecureAcceptAnything' }] };

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-sign-skopeo-${process.pid}-`));
  gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  await gpg(['--passphrase', '', '--quick-gen-key', 'shimkit signer <signer@example.com>', 'default', 'default', 'never']);
  const listed = await gpg(['--with-colons', '--list-secret-keys']);
  fingerprint = listed.stdout.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
  files.gpgPub = join(dir, 'signer.gpg');
  await writeFile(files.gpgPub, (await execa('gpg', ['--export', fingerprint], { env: { GNUPGHOME: gnupg }, encoding: 'buffer' })).stdout);

  const pair = await generateSigstoreKeyPair(Buffer.from('sekrit'));
  const other = await generateSigstoreKeyPair(Buffer.from('other'));
  Object.assign(files, { priv: join(dir, 'cosign.key'), pub: join(dir, 'cosign.pub'), pass: join(dir, 'pass'), otherPub: join(dir, 'other.pub') });
  await writeFile(files.priv, pair.privateKeyPem);
  await writeFile(files.pub, pair.publicKeyPem);
  await writeFile(files.otherPub, other.publicKeyPem);
  await writeFile(files.pass, 'sekrit');

  files.registriesD = join(dir, 'registries.d');
  files.lookaside = join(dir, 'lookaside');
  await mkdir(files.registriesD);
  await writeFile(
    join(files.registriesD, 'test.yaml'),
    `docker:\n  ${registry.host}:\n    use-sigstore-attachments: true\n    lookaside: file://${files.lookaside}\n`,
  );
});

afterAll(async () => {
  await client?.close();
  await registry?.close();
  if (gnupg) await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: gnupg }, reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function enforcer(requirement: object, scope = registry.host): Promise<SignaturePolicyEnforcer> {
  return new SignaturePolicyEnforcer({
    policy: parseSignaturePolicy({ default: [{ type: 'reject' }], transports: { docker: { [scope]: [requirement] } } }),
    registries: await loadRegistriesDir(files.registriesD),
  });
}

async function check(e: SignaturePolicyEnforcer, reference: string): Promise<void> {
  const ref = parseImageReference(reference);
  const top = await client.getManifest(ref);
  await e.check(parseImageLocation(`docker://${reference}`), top, { registry: () => client });
}

/** Copies busybox to `repo:v1` with skopeo, then signs it with shimkit. */
async function signed(repo: string, how: 'sigstore' | 'gpg'): Promise<ImageReference> {
  const ref = parseImageReference(`${registry.host}/${repo}:v1`);
  const copied = await skopeo(['copy', '--dest-tls-verify=false', '--src-tls-verify=false', `docker://${images.busybox.reference}`, `docker://${registry.host}/${repo}:v1`], acceptAll);
  expect(copied.exitCode, copied.stderr).toBe(0);
  const registries = await loadRegistriesDir(files.registriesD);
  const result = how === 'sigstore'
    ? await signRegistryImage(client, ref, { sigstoreKey: await loadSigstorePrivateKey(await readFile(files.priv, 'utf8'), Buffer.from('sekrit')), registries })
    : await signRegistryImage(client, ref, { gpg: { signBy: fingerprint, homedir: gnupg }, registries });
  expect(result.digest).toBe(images.busybox.digest);
  return ref;
}

describe('signatures made by skopeo, verified by shimkit', () => {
  // Debian builds skopeo, podman and buildah with sigstore turned off (a Debian-local patch of
  // containers/image): they neither make nor check sigstore signatures. This test pins that down,
  // so that the sigstore half of the interop is run against a skopeo that has it the day it does.
  it('Debian skopeo 1.9 refuses --sign-by-sigstore-private-key and sigstoreSigned policies outright', async () => {
    const dst = `${registry.host}/skopeo-signed/busybox:v1`;
    const sign = await skopeo(['copy', '--dest-tls-verify=false', '--src-tls-verify=false', '--sign-by-sigstore-private-key', files.priv, '--sign-passphrase-file', files.pass, `docker://${images.busybox.reference}`, `docker://${dst}`], acceptAll);
    expect(sign.exitCode).not.toBe(0);
    expect(sign.stderr).toContain('creating signature: Debian-local change: sigstore disabled');
    const ref = await signed('sigstore-for-skopeo/busybox', 'sigstore');
    const verify = await skopeo(['copy', '--remove-signatures', '--src-tls-verify=false', `docker://${ref.domain}/${ref.path}:v1`, `oci:${join(dir, 'never')}:v1`], { default: [{ type: 'sigstoreSigned', keyPath: files.pub }] });
    expect(verify.stderr).toContain('Source image rejected: Debian-local change: sigstore disabled');
  });

  it('skopeo signs with gpg (--sign-by) into the lookaside store; shimkit accepts it with the exported public key', async () => {
    const dst = `${registry.host}/skopeo-gpg/busybox:v1`;
    const run = await skopeo(['copy', '--dest-tls-verify=false', '--src-tls-verify=false', '--sign-by', fingerprint, `docker://${images.busybox.reference}`, `docker://${dst}`], acceptAll);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(await readdir(join(files.lookaside, 'skopeo-gpg'))).toEqual([`busybox@sha256=${images.busybox.digest.slice(7)}`]);
    await check(await enforcer({ type: 'signedBy', keyType: 'GPGKeys', keyPath: files.gpgPub }), dst);
    // The same signature does not vouch for another tag under the default identity rule.
    const other = `${registry.host}/skopeo-gpg/busybox:v2`;
    await client.tag(dst, 'v2');
    await expect(check(await enforcer({ type: 'signedBy', keyType: 'GPGKeys', keyPath: files.gpgPub }), other)).rejects.toThrow(
      `it signs identity ${dst}, which does not match the image's ${other} under matchRepoDigestOrExact`,
    );
    await check(await enforcer({ type: 'signedBy', keyType: 'GPGKeys', keyPath: files.gpgPub, signedIdentity: { type: 'matchRepository' } }), other);
  });
});

describe('signatures made by shimkit, verified by skopeo', () => {
  /** Replaces the image under `repo:v1` with one whose manifest differs (an added annotation), as an attacker could. */
  async function tamper(repo: string): Promise<void> {
    const manifest = JSON.parse((await client.getManifest(`${registry.host}/${repo}:v1`)).bytes.toString('utf8')) as Record<string, unknown>;
    manifest.annotations = { evil: 'yes' };
    await client.pushManifest(`${registry.host}/${repo}:v1`, Buffer.from(JSON.stringify(manifest)), 'application/vnd.oci.image.manifest.v1+json');
  }

  const policyFor = (requirement: object) => ({ default: [{ type: 'reject' }], transports: { docker: { [registry.host]: [requirement] } } });

  it('the sigstore signature shimkit attaches is stored as containers/image and cosign read it, and stops verifying once the image is replaced', async () => {
    const ref = await signed('shimkit-sigstore/busybox', 'sigstore');
    const sig = await client.getManifest(`${ref.domain}/${ref.path}:sha256-${images.busybox.digest.slice(7)}.sig`);
    const doc = JSON.parse(sig.bytes.toString('utf8')) as { mediaType: string; layers: Array<{ mediaType: string; digest: Digest; size: number; annotations: Record<string, string> }> };
    expect(doc.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(doc.layers).toHaveLength(1);
    expect(doc.layers[0]!.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    // An independent ECDSA implementation (openssl) accepts the signature over the payload with the public key.
    const layer = doc.layers[0]!;
    const blob = await client.getBlob(`${ref.domain}/${ref.path}`, layer);
    expect(JSON.parse(blob.toString('utf8'))).toMatchObject({ critical: { identity: { 'docker-reference': `${ref.domain}/${ref.path}:v1` }, image: { 'docker-manifest-digest': images.busybox.digest }, type: 'cosign container image signature' } });
    await writeFile(join(dir, 'payload'), blob);
    await writeFile(join(dir, 'payload.sig'), Buffer.from(layer.annotations['dev.cosignproject.cosign/signature']!, 'base64'));
    const openssl = await execa('openssl', ['dgst', '-sha256', '-verify', files.pub, '-signature', join(dir, 'payload.sig'), join(dir, 'payload')], { reject: false });
    expect(openssl.stdout.trim()).toBe('Verified OK');

    await check(await enforcer({ type: 'sigstoreSigned', keyPath: files.pub }), `${ref.domain}/${ref.path}:v1`);
    await tamper('shimkit-sigstore/busybox');
    await expect(check(await enforcer({ type: 'sigstoreSigned', keyPath: files.pub }), `${ref.domain}/${ref.path}:v1`)).rejects.toThrow('the image has no sigstore signatures');
  });

  it('skopeo copy under a signedBy policy accepts the image shimkit signed with gpg, and refuses it tampered', async () => {
    const ref = await signed('shimkit-gpg/busybox', 'gpg');
    const policy = policyFor({ type: 'signedBy', keyType: 'GPGKeys', keyPath: files.gpgPub });
    // An OCI layout holds no signatures: --remove-signatures drops them after they were checked.
    const ok = await skopeo(['copy', '--remove-signatures', '--src-tls-verify=false', `docker://${ref.domain}/${ref.path}:v1`, `oci:${join(dir, 'accepted-gpg')}:v1`], policy);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(existsSync(join(dir, 'accepted-gpg', 'index.json'))).toBe(true);
    const wrongKey = await skopeo(['copy', '--remove-signatures', '--src-tls-verify=false', `docker://${ref.domain}/${ref.path}:v1`, `oci:${join(dir, 'wrong-key')}:v1`], policyFor({ type: 'signedBy', keyType: 'GPGKeys', keyData: Buffer.from('not a key').toString('base64') }));
    expect(wrongKey.exitCode).not.toBe(0);
    expect(wrongKey.stderr).toContain('Source image rejected');
    await tamper('shimkit-gpg/busybox');
    const refused = await skopeo(['copy', '--remove-signatures', '--src-tls-verify=false', `docker://${ref.domain}/${ref.path}:v1`, `oci:${join(dir, 'refused-gpg')}:v1`], policy);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('Source image rejected: A signature was required, but no signature exists');
    await expect(check(await enforcer({ type: 'signedBy', keyType: 'GPGKeys', keyPath: files.gpgPub }), `${ref.domain}/${ref.path}:v1`)).rejects.toThrow('the image has no GPG signatures');
  });
});
