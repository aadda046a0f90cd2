import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSignaturePolicy, parseSignaturePolicy } from './signature-policy.js';

describe('parseSignaturePolicy', () => {
  it('reads every requirement type and scope kind, defaulting signedIdentity to matchRepoDigestOrExact', () => {
    const policy = parseSignaturePolicy({
      default: [{ type: 'reject' }],
      transports: {
        docker: {
          '': [{ type: 'insecureAcceptAnything' }],
          'example.com/app:v1': [{ type: 'sigstoreSigned', keyData: Buffer.from('pem').toString('base64') }],
          'example.com/ns': [{ type: 'signedBy', keyType: 'GPGKeys', keyPaths: ['/a', '/b'], signedIdentity: { type: 'exactRepository', dockerRepository: 'vendor.example/ns/app' } }],
          '*.example.org': [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/k', signedIdentity: { type: 'remapIdentity', prefix: 'mirror:5000/v', signedPrefix: 'vendor.example' } }],
        },
        oci: { '/srv/layouts': [{ type: 'insecureAcceptAnything' }] },
        'docker-daemon': { '': [{ type: 'insecureAcceptAnything' }] },
      },
    });
    expect(policy.transports.docker!['example.com/app:v1']).toEqual([{ type: 'sigstoreSigned', keyData: Buffer.from('pem'), signedIdentity: { type: 'matchRepoDigestOrExact' } }]);
    expect(policy.transports.docker!['example.com/ns']![0]).toMatchObject({ keyPaths: ['/a', '/b'], signedIdentity: { type: 'exactRepository' } });
  });

  it.each([
    ['no default', {}, 'policy: default: required'],
    ['an unknown top-level field', { default: [{ type: 'reject' }], extra: 1 }, '(top): unknown field "extra"'],
    ['an empty requirement list', { default: [] }, 'default: an empty list of requirements is not allowed'],
    ['an unknown requirement', { default: [{ type: 'trustMe' }] }, 'default[0].type: unknown requirement type "trustMe"'],
    ['signedBy without a key', { default: [{ type: 'signedBy', keyType: 'GPGKeys' }] }, 'default[0]: exactly one of keyPath, keyPaths and keyData is needed, got none'],
    ['signedBy with two keys', { default: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: '/a', keyData: 'AA==' }] }, 'got keyPath and keyData'],
    ['another keyType', { default: [{ type: 'signedBy', keyType: 'X509', keyPath: '/a' }] }, 'default[0].keyType: expected "GPGKeys"'],
    ['sigstoreSigned with Fulcio', { default: [{ type: 'sigstoreSigned', fulcio: {} }] }, 'default[0]: unknown field "fulcio"'],
    ['keyData that is not base64', { default: [{ type: 'sigstoreSigned', keyData: 'not base64!' }] }, 'default[0].keyData: expected base64'],
    ['an unknown identity', { default: [{ type: 'sigstoreSigned', keyPath: '/k', signedIdentity: { type: 'anything' } }] }, 'default[0].signedIdentity.type: unknown identity type "anything"'],
    ['exactReference without a tag', { default: [{ type: 'sigstoreSigned', keyPath: '/k', signedIdentity: { type: 'exactReference', dockerReference: 'example.com/app' } }] }, 'names a repository; a tag or digest is needed'],
    ['exactRepository with a tag', { default: [{ type: 'sigstoreSigned', keyPath: '/k', signedIdentity: { type: 'exactRepository', dockerRepository: 'example.com/app:v1' } }] }, 'must name a repository, without tag or digest'],
    ['an unknown transport', { default: [{ type: 'reject' }], transports: { ftp: {} } }, 'transports.ftp: unknown transport'],
    ['a bad docker scope', { default: [{ type: 'reject' }], transports: { docker: { 'Example.com/UPPER': [{ type: 'reject' }] } } }, 'invalid scope "Example.com/UPPER"'],
    ['a mid-name wildcard', { default: [{ type: 'reject' }], transports: { docker: { 'example*.com': [{ type: 'reject' }] } } }, 'invalid scope "example*.com"'],
    ['a relative oci scope', { default: [{ type: 'reject' }], transports: { oci: { 'layouts/x': [{ type: 'reject' }] } } }, 'must be an absolute path'],
  ])('refuses %s, naming where', (_, value, message) => {
    expect(() => parseSignaturePolicy(value)).toThrow(message);
  });

  it('names the file when it cannot be read or parsed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shimkit-policy-'));
    try {
      await expect(loadSignaturePolicy(join(dir, 'missing.json'))).rejects.toThrow(`cannot read signature policy ${join(dir, 'missing.json')}`);
      await writeFile(join(dir, 'bad.json'), '{"default": [');
      await expect(loadSignaturePolicy(join(dir, 'bad.json'))).rejects.toThrow(`signature policy ${join(dir, 'bad.json')} is not valid JSON`);
      await writeFile(join(dir, 'p.json'), '{"default": [{"type": "reject", "why": 1}]}');
      await expect(loadSignaturePolicy(join(dir, 'p.json'))).rejects.toThrow(`invalid signature policy ${join(dir, 'p.json')}: default[0]: unknown field "why"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
