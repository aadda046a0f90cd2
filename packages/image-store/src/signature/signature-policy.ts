import { readFile } from 'node:fs/promises';
import { tryParseImageReference } from '@shimkit/oci-spec';
import { ImageStoreError } from '../errors.js';

/** What identity a signature must claim (containers-policy.json's `signedIdentity`). */
export type SignedIdentity =
  | { type: 'matchExact' }
  | { type: 'matchRepoDigestOrExact' }
  | { type: 'matchRepository' }
  | { type: 'exactReference'; dockerReference: string }
  | { type: 'exactRepository'; dockerRepository: string }
  | { type: 'remapIdentity'; prefix: string; signedPrefix: string };

/** Where a requirement's public keys are: a file, several files, or the bytes themselves. */
export type KeySource = { keyPath: string } | { keyPaths: string[] } | { keyData: Buffer };

export type PolicyRequirement =
  | { type: 'insecureAcceptAnything' }
  | { type: 'reject' }
  | ({ type: 'signedBy'; keyType: 'GPGKeys'; signedIdentity: SignedIdentity } & KeySource)
  | ({ type: 'sigstoreSigned'; signedIdentity: SignedIdentity } & ({ keyPath: string } | { keyData: Buffer }));

/** A parsed containers-policy.json. */
export interface SignaturePolicy {
  default: PolicyRequirement[];
  /** Transport name -> scope (`""` for the transport's default) -> requirements. */
  transports: Record<string, Record<string, PolicyRequirement[]>>;
}

/** Transports containers-policy.json files name (containers/image's, and this package's `store`). */
export const POLICY_TRANSPORTS = ['atomic', 'containers-storage', 'dir', 'docker', 'docker-archive', 'docker-daemon', 'oci', 'oci-archive', 'ostree', 'sif', 'tarball', 'store'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

class Issues {
  constructor(readonly source: string) {}
  fail(path: string, why: string): never {
    throw new ImageStoreError('INVALID_ARGUMENT', `invalid signature policy ${this.source}: ${path}: ${why}`);
  }
  only(v: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(v)) if (!allowed.includes(k)) this.fail(path, `unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(', ')})`);
  }
  string(v: unknown, path: string): string {
    if (typeof v !== 'string' || v === '') this.fail(path, `expected a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }
}

function dockerReference(v: unknown, path: string, issues: Issues, tagged: boolean): string {
  const text = issues.string(v, path);
  const ref = tryParseImageReference(text, { defaultTag: false });
  if (ref === undefined) issues.fail(path, `not a docker reference: ${JSON.stringify(text)}`);
  if (tagged && ref.tag === undefined && ref.digest === undefined) issues.fail(path, `${JSON.stringify(text)} names a repository; a tag or digest is needed`);
  if (!tagged && (ref.tag !== undefined || ref.digest !== undefined)) issues.fail(path, `${JSON.stringify(text)} must name a repository, without tag or digest`);
  return text;
}

function signedIdentity(v: unknown, path: string, issues: Issues): SignedIdentity {
  if (v === undefined) return { type: 'matchRepoDigestOrExact' };
  if (!isObject(v)) issues.fail(path, 'expected an object');
  switch (v.type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      issues.only(v, path, ['type']);
      return { type: v.type };
    case 'exactReference':
      issues.only(v, path, ['type', 'dockerReference']);
      return { type: 'exactReference', dockerReference: dockerReference(v.dockerReference, `${path}.dockerReference`, issues, true) };
    case 'exactRepository':
      issues.only(v, path, ['type', 'dockerRepository']);
      return { type: 'exactRepository', dockerRepository: dockerReference(v.dockerRepository, `${path}.dockerRepository`, issues, false) };
    case 'remapIdentity': {
      issues.only(v, path, ['type', 'prefix', 'signedPrefix']);
      const prefix = issues.string(v.prefix, `${path}.prefix`);
      const signedPrefix = issues.string(v.signedPrefix, `${path}.signedPrefix`);
      for (const [p, field] of [[prefix, 'prefix'], [signedPrefix, 'signedPrefix']] as const) {
        if (/[@]|:[^/]*$/.test(p.slice(p.indexOf('/') < 0 ? p.length : p.indexOf('/')))) issues.fail(`${path}.${field}`, `${JSON.stringify(p)} must be a host, namespace or repository, without tag or digest`);
      }
      return { type: 'remapIdentity', prefix, signedPrefix };
    }
    default:
      return issues.fail(`${path}.type`, `unknown identity type ${JSON.stringify(v.type)} (matchExact, matchRepoDigestOrExact, matchRepository, exactReference, exactRepository, remapIdentity)`);
  }
}

function keyData(v: unknown, path: string, issues: Issues): Buffer {
  const text = issues.string(v, path);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) issues.fail(path, 'expected base64');
  return Buffer.from(text, 'base64');
}

function requirement(v: unknown, path: string, issues: Issues): PolicyRequirement {
  if (!isObject(v)) issues.fail(path, 'expected a requirement object');
  switch (v.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      issues.only(v, path, ['type']);
      return { type: v.type };
    case 'signedBy': {
      issues.only(v, path, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity']);
      if (v.keyType !== 'GPGKeys') issues.fail(`${path}.keyType`, `expected "GPGKeys", got ${JSON.stringify(v.keyType)}`);
      const given = ['keyPath', 'keyPaths', 'keyData'].filter((k) => v[k] !== undefined);
      if (given.length !== 1) issues.fail(path, `exactly one of keyPath, keyPaths and keyData is needed, got ${given.length === 0 ? 'none' : given.join(' and ')}`);
      const identity = signedIdentity(v.signedIdentity, `${path}.signedIdentity`, issues);
      if (v.keyPath !== undefined) return { type: 'signedBy', keyType: 'GPGKeys', keyPath: issues.string(v.keyPath, `${path}.keyPath`), signedIdentity: identity };
      if (v.keyPaths !== undefined) {
        if (!Array.isArray(v.keyPaths) || v.keyPaths.length === 0) issues.fail(`${path}.keyPaths`, 'expected a non-empty array of paths');
        return { type: 'signedBy', keyType: 'GPGKeys', keyPaths: v.keyPaths.map((p, i) => issues.string(p, `${path}.keyPaths[${i}]`)), signedIdentity: identity };
      }
      return { type: 'signedBy', keyType: 'GPGKeys', keyData: keyData(v.keyData, `${path}.keyData`, issues), signedIdentity: identity };
    }
    case 'sigstoreSigned': {
      issues.only(v, path, ['type', 'keyPath', 'keyData', 'signedIdentity']);
      const given = ['keyPath', 'keyData'].filter((k) => v[k] !== undefined);
      if (given.length !== 1) issues.fail(path, `exactly one of keyPath and keyData is needed, got ${given.length === 0 ? 'none' : given.join(' and ')} (Fulcio and Rekor are not supported)`);
      const identity = signedIdentity(v.signedIdentity, `${path}.signedIdentity`, issues);
      if (v.keyPath !== undefined) return { type: 'sigstoreSigned', keyPath: issues.string(v.keyPath, `${path}.keyPath`), signedIdentity: identity };
      return { type: 'sigstoreSigned', keyData: keyData(v.keyData, `${path}.keyData`, issues), signedIdentity: identity };
    }
    default:
      return issues.fail(`${path}.type`, `unknown requirement type ${JSON.stringify(v.type)} (insecureAcceptAnything, reject, signedBy, sigstoreSigned)`);
  }
}

function requirements(v: unknown, path: string, issues: Issues): PolicyRequirement[] {
  if (!Array.isArray(v)) issues.fail(path, 'expected an array of requirements');
  if (v.length === 0) issues.fail(path, 'an empty list of requirements is not allowed (use [{"type":"insecureAcceptAnything"}] to accept anything)');
  return v.map((r, i) => requirement(r, `${path}[${i}]`, issues));
}

function checkScope(transport: string, scope: string, path: string, issues: Issues): void {
  if (scope === '') return;
  if (transport === 'docker' || transport === 'atomic') {
    if (scope.startsWith('*.')) {
      if (!/^\*\.[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)*$/.test(scope)) issues.fail(path, `invalid wildcard scope ${JSON.stringify(scope)} (only a leading "*." is allowed)`);
      return;
    }
    if (scope.includes('*') || /\s|:\/\//.test(scope) || tryParseImageReference(scope.includes('/') ? scope : `${scope}/x`, { defaultTag: false }) === undefined) {
      issues.fail(path, `invalid scope ${JSON.stringify(scope)}: expected host[:port][/namespace[/repo[:tag|@digest]]]`);
    }
  } else if (['dir', 'oci', 'oci-archive', 'docker-archive'].includes(transport)) {
    if (!scope.startsWith('/')) issues.fail(path, `scope ${JSON.stringify(scope)} must be an absolute path`);
    if (scope === '/') issues.fail(path, 'the scope "/" is not allowed; use "" for the transport default');
  }
}

/**
 * Parses a containers-policy.json document strictly, as containers/image
 * does: unknown fields, unknown requirement types, empty requirement lists
 * and bad scopes are errors naming the JSON path.
 */
export function parseSignaturePolicy(value: unknown, source = 'policy'): SignaturePolicy {
  const issues: Issues = new Issues(source);
  if (!isObject(value)) issues.fail('(top)', 'expected a JSON object');
  issues.only(value, '(top)', ['default', 'transports']);
  if (value.default === undefined) issues.fail('default', 'required');
  const policy: SignaturePolicy = { default: requirements(value.default, 'default', issues), transports: {} };
  if (value.transports === undefined) return policy;
  if (!isObject(value.transports)) issues.fail('transports', 'expected an object of transports');
  for (const [transport, scopes] of Object.entries(value.transports)) {
    const path = `transports.${transport}`;
    if (!(POLICY_TRANSPORTS as readonly string[]).includes(transport)) issues.fail(path, `unknown transport (known: ${POLICY_TRANSPORTS.join(', ')})`);
    if (!isObject(scopes)) issues.fail(path, 'expected an object of scopes');
    const out: Record<string, PolicyRequirement[]> = {};
    for (const [scope, reqs] of Object.entries(scopes)) {
      const at = `${path}[${JSON.stringify(scope)}]`;
      checkScope(transport, scope, at, issues);
      out[scope] = requirements(reqs, at, issues);
    }
    policy.transports[transport] = out;
  }
  return policy;
}

/** Reads and parses a policy.json file. */
export async function loadSignaturePolicy(path: string): Promise<SignaturePolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `cannot read signature policy ${path}: ${(e as Error).message}`, { cause: e });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ImageStoreError('INVALID_ARGUMENT', `signature policy ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  return parseSignaturePolicy(value, path);
}
