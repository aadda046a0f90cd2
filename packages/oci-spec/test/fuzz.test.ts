import { describe, expect, it } from 'vitest';
import {
  defaultLinuxSpec,
  EMPTY_DESCRIPTOR,
  isOciSpecError,
  MediaType,
  digestOf,
  parseDigest,
  parseImageConfig,
  parseImageIndex,
  parseImageReference,
  parseManifest,
  parseMediaType,
  parseOciLayout,
  parsePlatform,
  parseRuntimeSpec,
  serializeJson,
  validateDescriptor,
  validateImageConfig,
  validateImageIndex,
  validateManifest,
  validateRuntimeSpec,
} from '../src/index.js';
import type { OciSpecErrorCode, ValidationIssue } from '../src/index.js';
import { prng, RandomJson, resolvePointer } from './random-json.js';

const SEED = 0x5eed;
const RUNS = 400;

const VALID_MANIFEST = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, digest: digestOf('c'), size: 1 },
  layers: [{ mediaType: MediaType.OciLayerGzip, digest: digestOf('l'), size: 2, urls: ['https://example.com/l'] }],
  subject: { ...EMPTY_DESCRIPTOR },
};
const VALID_INDEX = {
  schemaVersion: 2,
  mediaType: MediaType.OciIndex,
  manifests: [{ mediaType: MediaType.OciManifest, digest: digestOf('m'), size: 3, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } }],
};
const VALID_CONFIG = {
  created: '2024-01-01T00:00:00Z',
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['A=b'], Cmd: ['sh'], ExposedPorts: { '80/tcp': {} }, Labels: { a: 'b' } },
  rootfs: { type: 'layers', diff_ids: [digestOf('d')] },
  history: [{ created_by: 'x' }],
};

interface DocumentKind {
  name: string;
  valid: unknown;
  parse: (input: unknown) => unknown;
  validate: (input: unknown) => ValidationIssue[];
  code: OciSpecErrorCode;
}
const KINDS: DocumentKind[] = [
  { name: 'runtime spec', valid: defaultLinuxSpec(), parse: parseRuntimeSpec, validate: validateRuntimeSpec, code: 'INVALID_RUNTIME_SPEC' },
  { name: 'manifest', valid: VALID_MANIFEST, parse: parseManifest, validate: validateManifest, code: 'INVALID_IMAGE_MANIFEST' },
  { name: 'index', valid: VALID_INDEX, parse: parseImageIndex, validate: validateImageIndex, code: 'INVALID_IMAGE_INDEX' },
  { name: 'image config', valid: VALID_CONFIG, parse: parseImageConfig, validate: validateImageConfig, code: 'INVALID_IMAGE_CONFIG' },
];

/** Rules that point at a key that is absent. */
const MISSING_KEY_RULES = ['required', 'media-type-missing', 'artifact-type-required', 'seccomp-listener', 'non-empty-args'];

/** Issues must point into the document (or, for `required`, at a missing key of an existing object) and be unique. */
function checkIssues(doc: unknown, issues: ValidationIssue[]): void {
  const keys = issues.map((i) => `${i.path} ${i.rule}`);
  expect(new Set(keys).size).toBe(keys.length);
  for (const issue of issues) {
    expect(['MUST', 'SHOULD']).toContain(issue.level);
    expect(issue.message).not.toBe('');
    expect(issue.rule).not.toBe('internal');
    if (MISSING_KEY_RULES.includes(issue.rule)) {
      const parent = issue.path.slice(0, issue.path.lastIndexOf('/'));
      expect(resolvePointer(doc, parent).found).toBe(true);
    } else if (issue.path !== '') {
      expect(resolvePointer(doc, issue.path).found, `${issue.path} (${issue.rule}) should exist`).toBe(true);
    }
  }
}

function expectOnly(code: OciSpecErrorCode, run: () => unknown): unknown {
  try {
    return run();
  } catch (e) {
    if (!isOciSpecError(e, code)) throw new Error(`expected ${code}, got ${String(e)}`, { cause: e });
    return undefined;
  }
}

describe.each(KINDS)('$name under fuzzing', (kind) => {
  it('the valid document has no MUST issue', () => {
    expect(kind.validate(kind.valid).filter((i) => i.level === 'MUST')).toEqual([]);
  });

  it('random values: validate never throws, parse throws only its validation error', () => {
    const gen = new RandomJson(prng(SEED));
    for (let i = 0; i < RUNS; i++) {
      const doc = gen.value();
      checkIssues(doc, kind.validate(doc));
      expectOnly(kind.code, () => kind.parse(doc));
    }
  });

  it('mutated valid documents: consistent issues, stable round trips', () => {
    const gen = new RandomJson(prng(SEED + 1));
    let parsed = 0;
    for (let i = 0; i < RUNS; i++) {
      const doc = gen.mutate(kind.valid);
      checkIssues(doc, kind.validate(doc));
      const result = expectOnly(kind.code, () => kind.parse(doc));
      if (result === undefined) continue;
      parsed++;
      const text = serializeJson(result);
      const again = kind.parse(text);
      expect(again).toEqual(result);
      expect(serializeJson(again)).toBe(text);
    }
    expect(parsed).toBeGreaterThan(RUNS / 10);
  });

  it('damaged JSON text: parse throws only its validation error', () => {
    const gen = new RandomJson(prng(SEED + 2));
    const valid = JSON.stringify(kind.valid);
    for (let i = 0; i < RUNS; i++) expectOnly(kind.code, () => kind.parse(gen.text(valid)));
  });
});

describe('string parsers under fuzzing', () => {
  const gen = new RandomJson(prng(SEED + 3));
  const mutateString = (s: string): string => {
    const chars = [...s];
    for (let n = 1 + gen.int(3); n > 0; n--) {
      const at = gen.int(chars.length + 1);
      const op = gen.int(3);
      if (op === 0) chars.splice(at, 1);
      else if (op === 1) chars.splice(at, 0, gen.pick(['/', ':', '@', '.', '-', '_', 'A', 'a', '0', ' ', '[', ']', '\n']));
      else chars[at] = gen.pick(['/', ':', '@', 'Z', '9']);
    }
    return chars.join('');
  };
  const seeds = [
    ['docker.io/library/busybox:latest', 'localhost:5000/a/b:1@' + digestOf('x'), '[::1]:80/x'],
    [digestOf('x'), digestOf('y', 'sha512')],
    ['application/vnd.oci.image.manifest.v1+json', 'text/plain; charset="utf-8"'],
    ['linux/arm64/v8', 'windows/amd64'],
  ] as const;
  const parsers: [string, (s: unknown) => unknown, OciSpecErrorCode[], readonly string[]][] = [
    ['parseImageReference', parseImageReference, ['INVALID_REFERENCE'], seeds[0]],
    ['parseDigest', parseDigest, ['INVALID_DIGEST', 'UNSUPPORTED_DIGEST_ALGORITHM'], seeds[1]],
    ['parseMediaType', parseMediaType, ['INVALID_MEDIA_TYPE'], seeds[2]],
    ['parsePlatform', (s) => parsePlatform(s as string), ['INVALID_PLATFORM'], seeds[3]],
  ];

  it.each(parsers)('%s throws only its own error', (_name, parse, codes, inputs) => {
    for (let i = 0; i < RUNS; i++) {
      const input = gen.rand() < 0.7 ? mutateString(gen.pick(inputs)) : gen.rand() < 0.5 ? gen.string() : gen.value(1);
      if (typeof input !== 'string' && _name === 'parsePlatform') continue;
      try {
        parse(input);
      } catch (e) {
        expect(codes.some((c) => isOciSpecError(e, c)), `${String(e)} for ${JSON.stringify(input)}`).toBe(true);
      }
    }
  });

  it('parseOciLayout and validateDescriptor hold up', () => {
    for (let i = 0; i < RUNS; i++) {
      const doc = gen.rand() < 0.5 ? gen.mutate({ imageLayoutVersion: '1.0.0' }) : gen.value();
      expectOnly('INVALID_IMAGE_LAYOUT', () => parseOciLayout(doc));
      const descriptor = gen.mutate(VALID_MANIFEST.layers[0]);
      checkIssues(descriptor, validateDescriptor(descriptor));
    }
  });
});
