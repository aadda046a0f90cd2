import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOciSpecError } from '../errors.js';
import { OciValidationError } from '../validation/issue.js';
import { defaultLinuxSpec } from './default-linux-spec.js';
import { parseRuntimeSpec, serializeRuntimeSpec } from './parse-runtime-spec.js';

function parseError(input: unknown, options = {}): OciValidationError {
  try {
    parseRuntimeSpec(input, options);
  } catch (e) {
    if (e instanceof OciValidationError) return e;
    throw e;
  }
  throw new Error('expected parseRuntimeSpec to throw');
}

describe('parseRuntimeSpec', () => {
  it('parses runc spec output from text, bytes and values', () => {
    const dir = mkdtempSync(join(tmpdir(), `oci-spec-parse-${process.pid}-`));
    try {
      execFileSync('runc', ['spec'], { cwd: dir, timeout: 10_000 });
      const bytes = readFileSync(join(dir, 'config.json'));
      const fromBytes = parseRuntimeSpec(bytes);
      expect(parseRuntimeSpec(bytes.toString('utf8'))).toEqual(fromBytes);
      expect(parseRuntimeSpec(JSON.parse(bytes.toString('utf8')))).toEqual(fromBytes);
      expect(fromBytes.process?.args).toEqual(['sh']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns a copy', () => {
    const input = defaultLinuxSpec();
    const parsed = parseRuntimeSpec(input);
    parsed.process!.args!.push('x');
    expect(input.process?.args).toEqual(['sh']);
  });

  it('throws one error listing every structural issue', () => {
    const err = parseError({ ociVersion: 1, process: { cwd: 3, user: { uid: 'root' } }, mounts: {} });
    expect(err.code).toBe('INVALID_RUNTIME_SPEC');
    expect(isOciSpecError(err, 'INVALID_RUNTIME_SPEC')).toBe(true);
    expect(err.issues.map((i) => `${i.path} ${i.rule}`).sort()).toEqual([
      '/mounts type', '/ociVersion type', '/process/cwd type', '/process/user/uid type',
    ]);
    expect(err.message).toContain('4 issues');
    expect(err.message).toContain('/process/cwd: must be a string, got number [MUST type]');
  });

  it('accepts semantic problems unless strict', () => {
    const spec = defaultLinuxSpec();
    spec.process!.cwd = 'relative';
    expect(parseRuntimeSpec(spec).process?.cwd).toBe('relative');
    expect(parseError(spec, { strict: true }).issues.map((i) => i.rule)).toEqual(['absolute-path']);
  });

  it('strict mode ignores SHOULD issues', () => {
    expect(() => parseRuntimeSpec(defaultLinuxSpec(), { strict: true })).not.toThrow();
  });

  it.each([
    ['{', 'json'],
    ['', 'json'],
    [new Uint8Array([0xff, 0xfe]), 'json'],
    ['null', 'type'],
    ['[]', 'type'],
    ['"x"', 'type'],
  ])('rejects %j', (input, rule) => {
    expect(parseError(input).issues.map((i) => i.rule)).toEqual([rule]);
  });

  it('rejects values that are not JSON', () => {
    const cyclic: Record<string, unknown> = { ociVersion: '1.0.0' };
    cyclic.self = cyclic;
    expect(parseError(cyclic).issues).toEqual([expect.objectContaining({ path: '/self', rule: 'json' })]);
    expect(parseError({ ociVersion: '1.0.0', x: () => 1 }).issues[0]?.path).toBe('/x');
    expect(parseError({ ociVersion: '1.0.0', x: Number.NaN }).issues[0]?.rule).toBe('json');
    expect(parseError({ ociVersion: '1.0.0', x: new Date() }).issues[0]?.rule).toBe('json');
    expect(parseError({ ociVersion: '1.0.0', x: 1n }).issues[0]?.rule).toBe('json');
  });

  it('rejects absurd nesting without overflowing the stack', () => {
    const deep = `{"ociVersion":"1.0.0","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(parseError(deep).issues[0]).toMatchObject({ rule: 'json' });
  });
});

describe('round trip', () => {
  it('parse -> serialize -> parse is stable and keeps unknown fields', () => {
    const input = {
      ...defaultLinuxSpec(),
      'org.example/extension': { nested: [1, 'two', { three: null }] },
      windows: { layerFolders: ['C:\\x'] },
    };
    (input.process as unknown as Record<string, unknown>).futureField = true;
    (input.linux as unknown as Record<string, unknown>).netDevices = { eth0: { name: 'ctr0' } };
    const once = parseRuntimeSpec(input);
    const text = serializeRuntimeSpec(once);
    const twice = parseRuntimeSpec(text);
    expect(twice).toEqual(once);
    expect(serializeRuntimeSpec(twice)).toBe(text);
    expect(twice).toEqual(input);
    expect((twice.process as unknown as Record<string, unknown>).futureField).toBe(true);
  });

  it('keeps a "__proto__" key as data', () => {
    const parsed = parseRuntimeSpec('{"ociVersion":"1.0.0","annotations":{"__proto__":"x"}}');
    expect(Object.keys(parsed.annotations ?? {})).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed.annotations)).toBe(Object.prototype);
    expect(JSON.parse(serializeRuntimeSpec(parsed))).toEqual(JSON.parse('{"ociVersion":"1.0.0","annotations":{"__proto__":"x"}}'));
  });

  it('serialises with the chosen indent', () => {
    expect(serializeRuntimeSpec({ ociVersion: '1.2.0' }, { indent: '\t' })).toBe('{\n\t"ociVersion": "1.2.0"\n}');
  });
});
