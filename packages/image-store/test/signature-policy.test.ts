import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Digest, ImageReference } from '@shimkit/oci-spec';
import { parseImageReference } from '@shimkit/oci-spec';
import type { Registry, TestImages } from '@shimkit/test-bed';
import { pushTestImages, startRegistry } from '@shimkit/test-bed';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore } from '../src/image-store.js';
import { copyImage } from '../src/registry/copy-image.js';
import type { FetchedManifest } from '../src/registry/registry-client.js';
import { RegistryClient } from '../src/registry/registry-client.js';
import { copyBetween } from '../src/transport/copy-between.js';
import { parseImageLocation } from '../src/transport/image-location.js';
import { layoutWriter } from '../src/transport/layout-transport.js';
import { registryReader } from '../src/transport/registry-transport.js';
import { lookasideUrl } from '../src/signature/lookaside.js';
import { SignaturePolicyEnforcer } from '../src/signature/policy-enforcer.js';
import type { RegistriesDirConfig } from '../src/signature/registries-d.js';
import { signRegistryImage } from '../src/signature/sign-image.js';
import { parseSignaturePolicy } from '../src/signature/signature-policy.js';
import { SIGSTORE_SIGNATURE_ANNOTATION, sigstoreSignatureTag } from '../src/signature/sigstore-attachment.js';
import { generateSigstoreKeyPair, loadSigstorePrivateKey } from '../src/signature/sigstore-key.js';

// What a policy refuses, and that a refused copy or pull leaves nothing behind.
let registry: Registry;
let images: TestImages;
let client: RegistryClient;
let dir: string;
let gnupg: string;
let signer: KeyObject;
let registries: RegistriesDirConfig;
const keys = {} as Record<'pub' | 'otherPub' | 'gpgPub' | 'strangerPub', string>;
let fingerprint: string;
let stranger: string;

async function gpgKey(name: string): Promise<string> {
  await execa('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', `${name} <${name}@example.com>`, 'default', 'default', 'never'], { env: { GNUPGHOME: gnupg } });
  const listed = await execa('gpg', ['--with-colons', '--list-secret-keys', `${name}@example.com`], { env: { GNUPGHOME: gnupg } });
  return listed.stdout.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
}

beforeAll(async () => {
  registry = await startRegistry();
  images = await pushTestImages({ host: registry.host });
  client = new RegistryClient();
  dir = await mkdtemp(join(tmpdir(), `shimkit-sign-policy-${process.pid}-`));
  gnupg = join(dir, 'gnupg');
  await mkdir(gnupg, { mode: 0o700 });
  fingerprint = await gpgKey('signer');
  stranger = await gpgKey('stranger');
  for (const [file, fpr] of [['gpgPub', fingerprint], ['strangerPub', stranger]] as const) {
    keys[file] = join(dir, `${file}.gpg`);
    await writeFile(keys[file], (await execa('gpg', ['--export', fpr], { env: { GNUPGHOME: gnupg }, encoding: 'buffer' })).stdout);
  }
  const pair = await generateSigstoreKeyPair(Buffer.from('pw'));
  signer = await loadSigstorePrivateKey(pair.privateKeyPem, Buffer.from('pw'));
  keys.pub = join(dir, 'cosign.pub');
  await writeFile(keys.pub, pair.publicKeyPem);
  keys.otherPub = join(dir, 'other.pub');
  await writeFile(keys.otherPub, (await generateSigstoreKeyPair(Buffer.from('x'))).publicKeyPem);
  registries = { docker: { [registry.host]: { lookaside: `file://${join(dir, 'lookaside')}` } } };
});

afterAll(async () => {
  await client?.close();
  await registry?.close();
  if (gnupg) await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: gnupg }, reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Pushes busybox to `repo:v1` (blobs mounted from the test image's repository) and returns its reference. */
async function publish(repo: string): Promise<ImageReference> {
  const ref = parseImageReference(`${registry.host}/${repo}:v1`);
  const reader = registryReader(client, parseImageReference(images.busybox.reference));
  const { registryWriter } = await import('../src/transport/registry-transport.js');
  await copyBetween(reader, registryWriter(client, ref));
  return ref;
}

function enforcer(requirement: object): SignaturePolicyEnforcer {
  return new SignaturePolicyEnforcer({ policy: parseSignaturePolicy({ default: [{ type: 'reject' }], transports: { docker: { [`${registry.host}/signed`]: [requirement] } } }), source: '/etc/policy.json', registries });
}

async function check(e: SignaturePolicyEnforcer, ref: ImageReference): Promise<void> {
  await e.check({ transport: 'docker', ref }, await client.getManifest(ref), { registry: () => client });
}

const sigstore = { type: 'sigstoreSigned', keyPath: '' };
const rule = (type: string) => `refused by signature policy /etc/policy.json, rule transports.docker["${registry.host}/signed"][0] (${type})`;

/** Rewrites the first layer of the image's `.sig` manifest with `change`. */
async function editSignature(ref: ImageReference, digest: Digest, change: (layer: { digest: Digest; size: number; annotations: Record<string, string> }) => Promise<void>): Promise<void> {
  const sigRef = { ...ref, tag: sigstoreSignatureTag(digest) };
  const doc = JSON.parse((await client.getManifest(sigRef)).bytes.toString('utf8')) as { layers: Array<{ digest: Digest; size: number; annotations: Record<string, string> }> };
  await change(doc.layers[0]!);
  await client.pushManifest(sigRef, Buffer.from(JSON.stringify(doc)), 'application/vnd.oci.image.manifest.v1+json');
}

describe('sigstoreSigned', () => {
  it('accepts a signed image and refuses, each with its reason: no signature, another key, an altered signature or payload, a signature moved to another image, another identity', async () => {
    const ref = await publish('signed/app');
    const e = () => enforcer({ ...sigstore, keyPath: keys.pub });
    await expect(check(e(), ref)).rejects.toThrow(`docker://${registry.host}/signed/app:v1 ${rule('sigstoreSigned')}: the image has no sigstore signatures`);
    const { digest } = await signRegistryImage(client, ref, { sigstoreKey: signer });
    await check(e(), ref);
    await expect(check(enforcer({ ...sigstore, keyPath: keys.otherPub }), ref)).rejects.toThrow("its sigstore signature was refused: the cryptographic signature does not verify with the policy's key");

    // Another tag of the same image: the signature names v1.
    await client.tag(ref, 'v2');
    await expect(check(e(), { ...ref, tag: 'v2' })).rejects.toThrow(`it signs identity ${registry.host}/signed/app:v1, which does not match the image's ${registry.host}/signed/app:v2 under matchRepoDigestOrExact`);
    await check(enforcer({ ...sigstore, keyPath: keys.pub, signedIdentity: { type: 'matchRepository' } }), { ...ref, tag: 'v2' });
    // By digest, any tag of the repository was signed.
    await check(e(), { domain: ref.domain, path: ref.path, digest });

    // The signature moved onto another image: the payload names the first one's digest.
    const other = await publish('signed/other');
    const otherTop = await client.getManifest(other);
    const changed = JSON.parse(otherTop.bytes.toString('utf8')) as Record<string, unknown>;
    changed.annotations = { rebuilt: 'yes' };
    const otherDigest = await client.pushManifest(other, Buffer.from(JSON.stringify(changed)), otherTop.descriptor.mediaType);
    const sig = await client.getManifest({ ...ref, tag: sigstoreSignatureTag(digest) });
    const sigDoc = JSON.parse(sig.bytes.toString('utf8')) as { layers: Array<{ digest: Digest; size: number }>; config: { digest: Digest; size: number } };
    for (const blob of [sigDoc.config, ...sigDoc.layers]) await client.pushBlob(other, blob, async function* () { yield await client.getBlob(ref, blob); });
    await client.pushManifest({ ...other, tag: sigstoreSignatureTag(otherDigest) }, sig.bytes, sig.descriptor.mediaType);
    await expect(check(e(), other)).rejects.toThrow(`it signs manifest ${digest}, not this image's ${otherDigest}`);

    // An altered signature, then an altered payload under the original signature.
    await editSignature(ref, digest, async (layer) => {
      const raw = Buffer.from(layer.annotations[SIGSTORE_SIGNATURE_ANNOTATION]!, 'base64');
      raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
      layer.annotations[SIGSTORE_SIGNATURE_ANNOTATION] = raw.toString('base64');
    });
    await expect(check(e(), ref)).rejects.toThrow('the cryptographic signature does not verify');
    await editSignature(ref, digest, async (layer) => {
      const payload = Buffer.from((await client.getBlob(ref, layer)).toString('utf8').replace('signed/app:v1', 'signed/app:v9'));
      const pushed = await import('node:crypto').then((c) => `sha256:${c.createHash('sha256').update(payload).digest('hex')}` as Digest);
      await client.pushBlob(ref, { digest: pushed, size: payload.length }, () => [payload]);
      layer.digest = pushed;
      layer.size = payload.length;
    });
    await expect(check(e(), ref)).rejects.toThrow('the cryptographic signature does not verify');
  });

  it('names an unreadable or altered policy key', async () => {
    const ref = await publish('signed/keys');
    await signRegistryImage(client, ref, { sigstoreKey: signer });
    await expect(check(enforcer({ ...sigstore, keyPath: join(dir, 'nope.pub') }), ref)).rejects.toThrow(`(sigstoreSigned): cannot read key ${join(dir, 'nope.pub')}`);
    const pem = await readFile(keys.pub, 'utf8');
    const body = pem.split('\n');
    body[1] = body[1]!.slice(0, 30) + (body[1]![30] === 'A' ? 'B' : 'A') + body[1]!.slice(31);
    await writeFile(join(dir, 'altered.pub'), body.join('\n'));
    await expect(check(enforcer({ ...sigstore, keyPath: join(dir, 'altered.pub') }), ref)).rejects.toThrow(/public key: (not a PEM public key|an ECDSA P-256 key is needed)|does not verify/);
  });
});

describe('signedBy (GPG)', () => {
  it('accepts the signer\'s signature and refuses a stranger\'s, an altered one, and a keyring without the signer', async () => {
    const ref = await publish('signed/gpg');
    const e = (keyPath: string) => enforcer({ type: 'signedBy', keyType: 'GPGKeys', keyPath });
    await expect(check(e(keys.gpgPub), ref)).rejects.toThrow(`${rule('signedBy')}: the image has no GPG signatures`);
    const { digest, written } = await signRegistryImage(client, ref, { gpg: { signBy: fingerprint, homedir: gnupg }, registries });
    expect(written).toEqual([join(dir, 'lookaside', 'signed/gpg@sha256=' + digest.slice(7), 'signature-1')]);
    await check(e(keys.gpgPub), ref);
    await expect(check(e(keys.strangerPub), ref)).rejects.toThrow('GPG signature refused: it is signed by key');

    const file = lookasideUrl(`file://${join(dir, 'lookaside')}`, { repository: ref, digest, index: 1 }).pathname;
    const original = await readFile(file);
    const altered = Buffer.from(original);
    const at = Math.floor(altered.length / 2);
    altered.writeUInt8(altered.readUInt8(at) ^ 0x20, at);
    await writeFile(file, altered);
    await expect(check(e(keys.gpgPub), ref)).rejects.toThrow(/its GPG signature was refused: (GPG signature refused: |gpg failed)/);
    // A second signature, by the stranger: one accepted signature is enough.
    await writeFile(file, original);
    await signRegistryImage(client, ref, { gpg: { signBy: stranger, homedir: gnupg }, registries });
    await check(e(keys.gpgPub), ref);
    await expect(check(e(keys.strangerPub), ref)).resolves.toBeUndefined();
    await expect(check(enforcer({ type: 'reject' }), ref)).rejects.toThrow(`${rule('reject')}: the rule rejects every image`);
  });
});

describe('signRegistryImage and the attachments it reads', () => {
  it('refuses to sign without a key, without an identity for a digest reference, or where attachments are off', async () => {
    const ref = await publish('signed/refusals');
    await expect(signRegistryImage(client, ref, {})).rejects.toThrow('nothing to sign with');
    const { digest } = await client.getManifest(ref).then((m) => m.descriptor);
    await expect(signRegistryImage(client, { domain: ref.domain, path: ref.path, digest }, { sigstoreKey: signer })).rejects.toThrow('names the image by digest; give the identity to sign');
    await expect(signRegistryImage(client, ref, { sigstoreKey: signer, registries: { docker: { [registry.host]: { useSigstoreAttachments: false } } } })).rejects.toThrow('turns use-sigstore-attachments off');
    await expect(signRegistryImage(client, ref, { gpg: { signBy: fingerprint, homedir: gnupg }, registries: { docker: {} } })).rejects.toThrow('no lookaside store is configured');
    await expect(client.getManifest({ ...ref, tag: sigstoreSignatureTag(digest) })).rejects.toThrow();
    // With an identity, a digest reference is signed as that identity.
    const signed = await signRegistryImage(client, { domain: ref.domain, path: ref.path, digest }, { sigstoreKey: signer, identity: parseImageReference(`${registry.host}/signed/refusals:release`) });
    expect(signed.identity).toBe(`${registry.host}/signed/refusals:release`);
  });

  it('names a .sig tag that holds something else than an image manifest', async () => {
    const ref = await publish('signed/odd');
    const top = await client.getManifest(ref);
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [top.descriptor] }));
    await client.pushManifest({ ...ref, tag: sigstoreSignatureTag(top.descriptor.digest) }, index, 'application/vnd.oci.image.index.v1+json');
    await expect(check(enforcer({ ...sigstore, keyPath: keys.pub }), ref)).rejects.toThrow(`${registry.host}/signed/odd:${sigstoreSignatureTag(top.descriptor.digest)}: not an image manifest`);
  });
});

describe('enforced by copy and pull', () => {
  it('a refused copy writes nothing at the destination; an accepted one completes', async () => {
    const ref = await publish('signed/copy');
    const e = enforcer({ ...sigstore, keyPath: keys.pub });
    const out = join(dir, 'copy-out');
    const admit = (top: FetchedManifest) => e.check(parseImageLocation(`docker://${registry.host}/signed/copy:v1`), top, { registry: () => client });
    await expect(copyBetween(registryReader(client, ref), await layoutWriter(out, 'v1'), { admit })).rejects.toThrow('the image has no sigstore signatures');
    expect(existsSync(out)).toBe(false);
    await signRegistryImage(client, ref, { sigstoreKey: signer });
    await copyBetween(registryReader(client, ref), await layoutWriter(out, 'v1'), { admit });
    expect(await readdir(out)).toEqual(['blobs', 'index.json', 'oci-layout']);
  });

  it('copyImage under a policy copies nothing of a refused image', async () => {
    const ref = await publish('signed/copyimage');
    const policy = enforcer({ ...sigstore, keyPath: keys.pub });
    const dst = `${registry.host}/copies/copyimage:v1`;
    await expect(copyImage(client, ref, dst, { policy })).rejects.toThrow('the image has no sigstore signatures');
    await expect(client.getManifest(dst)).rejects.toThrow();
    await signRegistryImage(client, ref, { sigstoreKey: signer });
    expect((await copyImage(client, ref, dst, { policy })).digest).toBe(images.busybox.digest);
  });

  it('ImageStore.pull under a policy stores nothing of a refused image', async () => {
    const ref = await publish('signed/pull');
    const root = join(dir, 'store');
    const store = await ImageStore.open({ root, registry: client, signaturePolicy: enforcer({ ...sigstore, keyPath: keys.pub }) });
    try {
      await expect(store.pull(`${registry.host}/signed/pull:v1`)).rejects.toThrow(`docker://${registry.host}/signed/pull:v1 ${rule('sigstoreSigned')}: the image has no sigstore signatures`);
      expect(store.list()).toEqual([]);
      const blobs = async () => (await readdir(root, { recursive: true })).filter((f) => f.startsWith(join('content', 'blobs', 'sha256', '')));
      expect(await blobs()).toEqual([]);
      await signRegistryImage(client, ref, { sigstoreKey: signer });
      const pulled = await store.pull(`${registry.host}/signed/pull:v1`);
      expect(pulled.manifest.digest).toBe(images.busybox.digest);
      expect(await blobs()).toContain(join('content', 'blobs', 'sha256', images.busybox.digest.slice(7)));
      expect(store.get(`${registry.host}/signed/pull@${images.busybox.digest}`)?.id).toBe(images.busybox.configDigest);
    } finally {
      await store.close();
    }
    // Under a policy, an image already held is checked again when pulled by digest.
    const strict = await ImageStore.open({ root, registry: client, signaturePolicy: enforcer({ ...sigstore, keyPath: keys.otherPub }) });
    try {
      await expect(strict.pull(`${registry.host}/signed/pull@${images.busybox.digest}`)).rejects.toThrow("the cryptographic signature does not verify with the policy's key");
    } finally {
      await strict.close();
    }
  });
});
