import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageStoreError } from '../errors.js';

/** The gpg program (GnuPG 2), as containers/image's gpgme drives it. */
const GPG = 'gpg';
const TIMEOUT_MS = 60_000;

export interface GpgSignOptions {
  /** Fingerprint (or any key id gpg accepts) of the secret key to sign with. */
  signBy: string;
  /** GnuPG home with the secret key (default: $GNUPGHOME or ~/.gnupg). */
  homedir?: string;
  /** A file holding the key's passphrase (loopback pinentry); without it gpg-agent asks or the key has none. */
  passphraseFile?: string;
  signal?: AbortSignal;
}

// execa is loaded on the first gpg call: every command that opens the store would otherwise pay for it at start-up.
const loadExeca = async () => (await import('execa')).execa;

const lastLine = (text: string) => text.trim().split('\n').filter((l) => !l.startsWith('[GNUPG:]')).slice(-2).join('; ');

/** Signs `payload` into an OpenPGP signed message (binary, not detached), as simple signing stores it. */
export async function gpgSign(payload: Buffer, options: GpgSignOptions): Promise<Buffer> {
  const args = ['--batch', '--no-tty', ...(options.homedir ? ['--homedir', options.homedir] : []), '--local-user', options.signBy];
  if (options.passphraseFile !== undefined) args.push('--pinentry-mode', 'loopback', '--passphrase-file', options.passphraseFile);
  args.push('--sign', '--output', '-');
  const execa = await loadExeca();
  const run = await execa(GPG, args, { input: payload, encoding: 'buffer', reject: false, timeout: TIMEOUT_MS, ...(options.signal ? { cancelSignal: options.signal } : {}) });
  if (run.exitCode !== 0 || run.stdout.length === 0) {
    throw new ImageStoreError('SIGNING_FAILED', `gpg could not sign with key ${options.signBy}: ${lastLine(Buffer.from(run.stderr).toString('utf8')) || `exit ${run.exitCode ?? run.signal}`}`);
  }
  return Buffer.from(run.stdout);
}

/** A verified OpenPGP signed message: what it carries and who signed it. */
export interface GpgVerified {
  payload: Buffer;
  /** Fingerprint of the signing (sub)key. */
  fingerprint: string;
  /** Fingerprint of its primary key. */
  primaryFingerprint: string;
}

async function gpgIn(home: string, args: string[], input: Buffer | undefined, signal?: AbortSignal) {
  // --no-autostart: nothing here needs gpg-agent, so none is started (and none is left running).
  const execa = await loadExeca();
  return execa(GPG, ['--homedir', home, '--batch', '--no-tty', '--no-autostart', ...args], {
    ...(input ? { input } : { stdin: 'ignore' as const }),
    encoding: 'buffer',
    reject: false,
    timeout: TIMEOUT_MS,
    env: { GNUPGHOME: home },
    ...(signal ? { cancelSignal: signal } : {}),
  });
}

/** Writes a keyring as a binary keyring file gpg can read with --keyring (ASCII armor is removed by gpg). */
async function writeKeyring(home: string, ring: Uint8Array, index: number, signal?: AbortSignal): Promise<string> {
  const file = join(home, `keyring-${index}.gpg`);
  let bytes = Buffer.from(ring);
  if (bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP')) {
    const dearmored = await gpgIn(home, ['--dearmor'], bytes, signal);
    if (dearmored.exitCode !== 0) throw new ImageStoreError('INVALID_ARGUMENT', `the GPG keyring cannot be read: ${lastLine(Buffer.from(dearmored.stderr).toString('utf8'))}`);
    bytes = Buffer.from(dearmored.stdout);
  }
  await writeFile(file, bytes, { mode: 0o600 });
  return file;
}

/**
 * Verifies an OpenPGP signed message against the keys of `keyrings` only
 * (given to gpg as its only keyrings, in a throw-away GnuPG home removed afterwards), and returns
 * its payload. Refused, with the reason: a message that is not signed, a
 * bad or expired signature, a signature by a key not in the keyrings.
 */
export async function gpgVerify(message: Uint8Array, options: { keyrings: readonly Uint8Array[]; signal?: AbortSignal }): Promise<GpgVerified> {
  const { keyrings, signal } = options;
  const home = await mkdtemp(join(tmpdir(), 'shimkit-gpg-'));
  try {
    const files = await Promise.all(keyrings.map((ring, i) => writeKeyring(home, ring, i, signal)));
    const out = join(home, 'payload');
    // Only the policy's keyrings are consulted: no default keyring, no import.
    const rings = ['--no-default-keyring', ...files.flatMap((f) => ['--keyring', f])];
    const run = await gpgIn(home, [...rings, '--status-fd', '1', '--output', out, '--decrypt'], Buffer.from(message), signal);
    const stderr = Buffer.from(run.stderr).toString('utf8');
    const status = Buffer.from(run.stdout).toString('utf8').split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9).split(' '));
    const has = (k: string) => status.find((s) => s[0] === k);
    const why =
      has('NO_PUBKEY') ? `it is signed by key ${has('NO_PUBKEY')![1]}, which is not a trusted key` :
      has('BADSIG') ? 'the signature does not match its content (tampered)' :
      has('EXPSIG') ? 'the signature has expired' :
      has('EXPKEYSIG') ? 'the signing key has expired' :
      has('REVKEYSIG') ? 'the signing key was revoked' :
      has('ERRSIG') ? 'the signature cannot be checked' :
      status.filter((s) => s[0] === 'VALIDSIG').length !== 1 ? 'it is not a signed message with one valid signature' :
      run.exitCode !== 0 ? `gpg failed: ${lastLine(stderr)}` : undefined;
    if (why !== undefined) {
      // A keyring gpg cannot read makes every signature look unknown: say so instead.
      for (const file of files) {
        const listed = await gpgIn(home, ['--no-default-keyring', '--keyring', file, '--with-colons', '--list-keys'], undefined, signal);
        const keys = Buffer.from(listed.stdout).toString('utf8').split('\n').filter((l) => l.startsWith('pub:')).length;
        if (listed.exitCode !== 0 || keys === 0) throw new ImageStoreError('INVALID_ARGUMENT', `the GPG keyring cannot be read: ${lastLine(Buffer.from(listed.stderr).toString('utf8')) || 'it holds no public key'}`);
      }
      throw new ImageStoreError('POLICY_REJECTED', `GPG signature refused: ${why}`);
    }
    const valid = has('VALIDSIG')!;
    return { payload: await readFile(out), fingerprint: valid[1]!, primaryFingerprint: valid[10] ?? valid[1]! };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
