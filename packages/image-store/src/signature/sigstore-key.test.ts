import { sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateSigstoreKeyPair, loadSigstorePrivateKey, loadSigstorePublicKey, pemDecode, pemEncode } from './sigstore-key.js';

// A key pair made by cosign itself (ECDSA P-256, empty passphrase, scrypt N=65536), published as a test key.
const COSIGN_KEY = `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJLYU9OQzduQVJLOVgxM1FoaWFucjAwTTBGYys2Sitr
dnAxN1FuanpiVk9nPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJVOHZqWWtqMlZOUFZGdlZFZWZ3bXZ5VGloUERrelBoaCJ9LCJj
aXBoZXJ0ZXh0IjoidWNWMnQ4TTZVNFJvb29FOXc0d3dkc3E1RDYrS2RKY245dERT
KzFwRDRGN040SVJOWEgzSTBua3h1a3NackFOUHR1emIvTkVYQ201dUp3Zjh3Qzl1
VlprbXdwNU5jRUZ6b3ZNS3JCZmNvdXdjaEkrMzkrQ0NhbVZPbzBucmRnZjhvcmpK
dXdrWDBYL1phY0RUTERGaUxyc1laMWVMMmlqMGU1MVRpZmVQNTl4WXNPK1FnM1Jv
OURRVjNQMk9ndDFDaVFHeGg1VXhUZytGc3c9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
`;

describe('sigstore keys', () => {
  it('decrypts a key cosign generated', async () => {
    const key = await loadSigstorePrivateKey(COSIGN_KEY, Buffer.alloc(0));
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('generates a pair in cosign\'s format whose halves sign and verify', async () => {
    const pair = await generateSigstoreKeyPair(Buffer.from('pass phrase'));
    const { label, der } = pemDecode(pair.privateKeyPem, 'key');
    expect(label).toBe('ENCRYPTED SIGSTORE PRIVATE KEY');
    expect(JSON.parse(der.toString())).toMatchObject({ kdf: { name: 'scrypt', params: { N: 32768, r: 8, p: 1 } }, cipher: { name: 'nacl/secretbox' } });
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    const priv = await loadSigstorePrivateKey(pair.privateKeyPem, Buffer.from('pass phrase'));
    const signature = sign('sha256', Buffer.from('hello'), priv);
    expect(verify('sha256', Buffer.from('hello'), loadSigstorePublicKey(pair.publicKeyPem), signature)).toBe(true);
  });

  it('names a wrong passphrase, an altered file, a wrong PEM block and a key of another curve', async () => {
    const pair = await generateSigstoreKeyPair(Buffer.from('right'));
    await expect(loadSigstorePrivateKey(pair.privateKeyPem, Buffer.from('wrong'), { source: 'cosign.key' })).rejects.toThrow('cosign.key: cannot decrypt it: wrong passphrase, or the key file was altered');
    const doc = JSON.parse(pemDecode(pair.privateKeyPem, 'k').der.toString()) as { ciphertext: string };
    const bytes = Buffer.from(doc.ciphertext, 'base64');
    bytes.writeUInt8(bytes.readUInt8(20) ^ 1, 20);
    const altered = pemEncode('ENCRYPTED SIGSTORE PRIVATE KEY', Buffer.from(JSON.stringify({ ...doc, ciphertext: bytes.toString('base64') })));
    await expect(loadSigstorePrivateKey(altered, Buffer.from('right'))).rejects.toThrow('cannot decrypt it');
    await expect(loadSigstorePrivateKey(pair.publicKeyPem, Buffer.from('right'))).rejects.toThrow('PEM block is "PUBLIC KEY"');
    await expect(loadSigstorePrivateKey('nothing here', Buffer.from('right'))).rejects.toThrow('no PEM block found');
    const p384 = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => loadSigstorePublicKey(p384, 'other.pub')).toThrow('other.pub: an ECDSA P-256 key is needed');
    expect(() => loadSigstorePublicKey('garbage', 'x.pub')).toThrow('x.pub: not a PEM public key');
  });
});
