import { digestProblem } from './digest.js';
import type { Digest } from './digest.js';
import { digestOf } from './digest.js';
import { EMPTY_JSON_DIGEST } from './descriptor.js';
import { isMediaType, MediaType } from './media-type.js';
import { arrayEntries, field, IssueCollector, pointer, show } from '../validation/issue.js';
import type { ValidationIssue } from '../validation/issue.js';
import { checkShape } from '../validation/shape.js';
import { DESCRIPTOR_SHAPE } from './image-shapes.js';

/** Checks a value that must be a digest: grammar (`digest`, MUST) and algorithm support (`digest-algorithm`, SHOULD). */
export function checkDigest(value: unknown, path: string, out: IssueCollector): void {
  if (typeof value !== 'string') return;
  const problem = digestProblem(value);
  if (problem === undefined) return;
  if (problem.code === 'UNSUPPORTED_DIGEST_ALGORITHM') out.should(path, 'digest-algorithm', problem.message);
  else out.must(path, 'digest', problem.message);
}

/** Checks a value that must be a media type (`media-type`). */
export function checkMediaType(value: unknown, path: string, out: IssueCollector): void {
  if (typeof value === 'string' && !isMediaType(value)) {
    out.must(path, 'media-type', `invalid media type ${show(value)}: expected "type/subtype"`);
  }
}

/**
 * Semantic rules of a descriptor (structure is checked by the shape): digest, media types,
 * URLs, embedded data matching size and digest, the empty descriptor's fixed digest and size.
 */
export function checkDescriptorRules(descriptor: unknown, path: string, out: IssueCollector): void {
  const mediaType = field(descriptor, 'mediaType');
  const digest = field(descriptor, 'digest');
  const size = field(descriptor, 'size');
  checkMediaType(mediaType, pointer(path, 'mediaType'), out);
  checkMediaType(field(descriptor, 'artifactType'), pointer(path, 'artifactType'), out);
  checkDigest(digest, pointer(path, 'digest'), out);

  for (const [i, url] of arrayEntries(field(descriptor, 'urls'))) {
    if (typeof url === 'string' && !isUrl(url)) out.must(pointer(path, 'urls', i), 'url', `invalid URL ${show(url)}`);
  }

  const data = field(descriptor, 'data');
  if (typeof data === 'string') {
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(data)) {
      out.must(pointer(path, 'data'), 'data-base64', 'data must be standard base64');
    } else {
      const bytes = Buffer.from(data, 'base64');
      if (typeof size === 'number' && bytes.length !== size) {
        out.must(pointer(path, 'data'), 'data-size', `data has ${bytes.length} bytes but size is ${size}`);
      } else if (typeof digest === 'string' && digestProblem(digest) === undefined) {
        const actual = digestOf(bytes, digest.startsWith('sha512:') ? 'sha512' : 'sha256');
        if (actual !== (digest as Digest)) out.must(pointer(path, 'data'), 'data-digest', `data hashes to ${actual}, not ${digest}`);
      }
    }
  }

  if (mediaType === MediaType.OciEmpty && (digest !== EMPTY_JSON_DIGEST || size !== 2)) {
    out.must(path, 'empty-descriptor', `an ${MediaType.OciEmpty} descriptor must have digest ${EMPTY_JSON_DIGEST} and size 2`);
  }
}

function isUrl(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Checks a descriptor on its own (structure and rules) and returns every issue; never throws. */
export function validateDescriptor(descriptor: unknown): ValidationIssue[] {
  const out = new IssueCollector();
  try {
    checkShape(descriptor, DESCRIPTOR_SHAPE, '', out);
    checkDescriptorRules(descriptor, '', out);
  } catch (e) {
    out.must('', 'internal', `validation failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out.issues;
}
