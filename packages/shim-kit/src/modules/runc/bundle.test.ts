import { describe, expect, it } from 'vitest';
import { capOciVersion } from './bundle.js';

describe('capOciVersion', () => {
  it('lowers a newer minor version to what the runtime supports, and nothing else', () => {
    expect(capOciVersion('1.2.0', '1.0.0')).toBe('1.0.0'); // crun 1.8
    expect(capOciVersion('1.2.0', '1.0.2-dev')).toBe('1.0.2-dev'); // runc 1.1
    expect(capOciVersion('1.0.2', '1.2.0')).toBe('1.0.2');
    expect(capOciVersion('1.2.0', undefined)).toBe('1.2.0');
    expect(capOciVersion('2.0.0', '1.0.0')).toBe('2.0.0');
  });
});
