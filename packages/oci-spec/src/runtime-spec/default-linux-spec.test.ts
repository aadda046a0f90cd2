import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultLinuxSpec, RUNTIME_SPEC_VERSION } from './default-linux-spec.js';

describe('defaultLinuxSpec', () => {
  it('equals what runc spec writes, except ociVersion', () => {
    const dir = mkdtempSync(join(tmpdir(), `oci-spec-default-${process.pid}-`));
    try {
      execFileSync('runc', ['spec'], { cwd: dir, timeout: 10_000 });
      const runc = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      const ours = defaultLinuxSpec();
      expect(ours.ociVersion).toBe(RUNTIME_SPEC_VERSION);
      expect({ ...ours, ociVersion: runc.ociVersion }).toEqual(runc);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns an independent copy each time', () => {
    const a = defaultLinuxSpec();
    a.linux!.maskedPaths!.push('/x');
    a.process!.capabilities!.bounding!.push('CAP_SYS_ADMIN');
    const b = defaultLinuxSpec();
    expect(b.linux!.maskedPaths).not.toContain('/x');
    expect(b.process!.capabilities!.bounding).toHaveLength(3);
    expect(b.process!.capabilities!.effective).toHaveLength(3);
  });
});
