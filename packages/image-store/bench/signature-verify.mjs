// Verifying one image signature: shimkit (image-store's gpgVerify + payload checks; sigstore with
// node:crypto) vs skopeo standalone-verify (containers/image through gpgme). Same machine, same
// run, same signature. Run with `npm run bench:signature` (after a build).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  buildSignaturePayload, generateSigstoreKeyPair, gpgSign, gpgVerify, loadSigstorePrivateKey, loadSigstorePublicKey,
  parseSignaturePayload, signSigstorePayload, SIGSTORE_PAYLOAD_TYPE, SIMPLE_SIGNING_TYPE, verifySigstorePayload,
} from '../dist/index.js';

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

async function perOp(fn) {
  await fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) await fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / ROUNDS;
}

const work = await mkdtemp(join(tmpdir(), `shimkit-bench-sign-${process.pid}-`));
const home = join(work, 'gnupg');
const env = { ...process.env, GNUPGHOME: home };
try {
  await mkdir(home, { mode: 0o700 });
  await run('gpg', ['--batch', '--passphrase', '', '--quick-gen-key', 'bench <bench@example.com>', 'default', 'default', 'never'], { env });
  const fpr = (await run('gpg', ['--with-colons', '--list-secret-keys'], { env })).stdout.split('\n').find((l) => l.startsWith('fpr:')).split(':')[9];
  const publicKey = (await run('gpg', ['--export', fpr], { env, encoding: 'buffer' })).stdout;

  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: {}, layers: [] }));
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const reference = 'registry.example.com/bench/app:v1';
  const claim = { manifestDigest: digest, dockerReference: reference };
  const gpgMessage = await gpgSign(buildSignaturePayload(SIMPLE_SIGNING_TYPE, claim), { signBy: fpr, homedir: home });
  await writeFile(join(work, 'manifest.json'), manifest);
  await writeFile(join(work, 'signature'), gpgMessage);

  const ours = await perOp(async () => {
    const verified = await gpgVerify(gpgMessage, { keyrings: [publicKey] });
    const parsed = parseSignaturePayload(verified.payload, SIMPLE_SIGNING_TYPE);
    if (parsed.manifestDigest !== digest) throw new Error('digest');
  });
  const skopeo = await perOp(() => run('skopeo', ['standalone-verify', join(work, 'manifest.json'), reference, fpr, join(work, 'signature')], { env }));

  const pair = await generateSigstoreKeyPair(Buffer.from('bench'));
  const key = await loadSigstorePrivateKey(pair.privateKeyPem, Buffer.from('bench'));
  const pub = loadSigstorePublicKey(pair.publicKeyPem);
  const sig = signSigstorePayload(buildSignaturePayload(SIGSTORE_PAYLOAD_TYPE, claim), key);
  const sigstore = await perOp(async () => {
    if (!verifySigstorePayload(sig, pub)) throw new Error('verify');
    parseSignaturePayload(sig.payload, SIGSTORE_PAYLOAD_TYPE);
  });
  const keyLoad = await perOp(() => loadSigstorePrivateKey(pair.privateKeyPem, Buffer.from('bench')));

  console.log(`GPG signature, verify:  shimkit ${ours.toFixed(1)} ms, skopeo standalone-verify ${skopeo.toFixed(1)} ms  (shimkit/skopeo ${(ours / skopeo).toFixed(2)}x)`);
  console.log(`sigstore signature, verify: shimkit ${sigstore.toFixed(3)} ms (Debian's skopeo has sigstore turned off: no comparison)`);
  console.log(`sigstore private key, decrypt (scrypt N=32768): shimkit ${keyLoad.toFixed(1)} ms`);
} finally {
  await run('gpgconf', ['--kill', 'all'], { env }).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
