import { describe, expect, it } from 'vitest';
import { repositoryOf } from './cri-suite-context.js';

describe('repositoryOf', () => {
  it('drops tag and digest but keeps a registry port', () => {
    expect(repositoryOf('127.0.0.1:5000/busybox:latest')).toBe('127.0.0.1:5000/busybox');
    expect(repositoryOf('127.0.0.1:5000/library/busybox')).toBe('127.0.0.1:5000/library/busybox');
    expect(repositoryOf(`127.0.0.1:5000/busybox@sha256:${'a'.repeat(64)}`)).toBe('127.0.0.1:5000/busybox');
    expect(repositoryOf('busybox:1.36')).toBe('busybox');
    expect(repositoryOf('busybox')).toBe('busybox');
  });
});
