import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpgSign, gpgVerify } from './gpg.js';

let dir: string;
let home: string;
let scratch: string;
let signer: string;
let stranger: string;
let signerKey: Buffer;
let old: string;
let oldKey: Buffer;
const savedTmp = process.env.TMPDIR;

async function gpg(args: string[], input?: Buffer) {
  return execa('gpg', ['--batch', '--no-tty', ...args], { env: { GNUPGHOME: home }, encoding: 'buffer', ...(input ? { input } : {}) });
}

const daysAgo = (n: number) => `${Math.floor(Date.now() / 1000) - n * 86400}!`;

async function newKey(name: string, createdDaysAgo = 0): Promise<string> {
  const when = createdDaysAgo > 0 ? ['--faked-system-time', daysAgo(createdDaysAgo)] : [];
  await gpg([...when, '--passphrase', '', '--quick-gen-key', `${name} <${name}@example.com>`, 'default', 'default', 'never']);
  const listed = Buffer.from((await gpg(['--with-colons', '--list-secret-keys', `${name}@example.com`])).stdout).toString();
  return listed.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shimkit-gpg-test-'));
  home = join(dir, 'home');
  await mkdir(home, { mode: 0o700 });
  // gpgVerify's throw-away GnuPG homes go here, to check none is left.
  scratch = join(dir, 'scratch');
  await mkdir(scratch);
  process.env.TMPDIR = scratch;
  signer = await newKey('signer');
  stranger = await newKey('stranger');
  signerKey = Buffer.from((await gpg(['--export', signer])).stdout);
  old = await newKey('old', 10);
  oldKey = Buffer.from((await gpg(['--export', old])).stdout);
});
afterAll(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  if (home) await execa('gpgconf', ['--kill', 'all'], { env: { GNUPGHOME: home }, reject: false });
  if (dir) await rm(dir, { recursive: true, force: true });
});

const payload = Buffer.from('{"critical":{},"optional":{}}');

describe('gpgSign and gpgVerify', () => {
  it('signs a payload into a signed message that verifies against the signer\'s public key only', async () => {
    const message = await gpgSign(payload, { signBy: signer, homedir: home });
    const verified = await gpgVerify(message, { keyrings: [signerKey] });
    expect(verified.payload.equals(payload)).toBe(true);
    expect(verified.primaryFingerprint).toBe(signer);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('reads ASCII-armored keyrings too, and any of several keyrings', async () => {
    const armored = Buffer.from((await gpg(['--armor', '--export', signer])).stdout);
    expect(armored.toString()).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    const strangerKey = Buffer.from((await gpg(['--export', stranger])).stdout);
    const message = await gpgSign(payload, { signBy: signer, homedir: home });
    expect((await gpgVerify(message, { keyrings: [strangerKey, armored] })).primaryFingerprint).toBe(signer);
    expect(await readdir(scratch)).toEqual([]);
  });

  it.each([
    ['a message by a key outside the keyring', async () => gpgSign(payload, { signBy: stranger, homedir: home }), /it is signed by key [0-9A-F]+, which is not a trusted key/],
    ['an altered message', async () => {
      const m = await gpgSign(payload, { signBy: signer, homedir: home });
      const at = m.indexOf(payload.subarray(0, 8));
      m.writeUInt8(m.readUInt8(at + 2) ^ 1, at + 2);
      return m;
    }, /the signature does not match its content|it is not a signed message|gpg failed/],
    ['a literal message with no signature', async () => (await gpg(['--store', '--output', '-'], payload)).stdout, 'it is not a signed message with one valid signature'],
    ['bytes that are not OpenPGP at all', async () => Buffer.from('hello'), /it is not a signed message|gpg failed/],
  ])('refuses %s, and leaves no GnuPG home behind', async (_, make, message) => {
    await expect(gpgVerify(await make(), { keyrings: [signerKey] })).rejects.toThrow(message);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('refuses a signature that expired (made five days ago, valid for one)', async () => {
    const message = (await gpg(['--faked-system-time', daysAgo(5), '--default-sig-expire', '1d', '--local-user', old, '--sign', '--output', '-'], payload)).stdout;
    await expect(gpgVerify(message, { keyrings: [oldKey] })).rejects.toThrow('GPG signature refused: the signature has expired');
    expect(await readdir(scratch)).toEqual([]);
  });

  it('names a keyring that cannot be imported and a key gpg cannot sign with', async () => {
    await expect(gpgVerify(await gpgSign(payload, { signBy: signer, homedir: home }), { keyrings: [Buffer.from('not a key')] })).rejects.toThrow('the GPG keyring cannot be read');
    await expect(gpgSign(payload, { signBy: 'nobody@example.com', homedir: home })).rejects.toThrow(/gpg could not sign with key nobody@example.com: .*(No secret key|skipped)/);
    expect(await readdir(scratch)).toEqual([]);
  });
});
