/** A small seeded random JSON generator and mutator for property tests (no dependencies). */

/** mulberry32: a tiny deterministic PRNG; returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class RandomJson {
  constructor(readonly rand: () => number) {}

  int(max: number): number {
    return Math.floor(this.rand() * max);
  }

  pick<T>(values: readonly T[]): T {
    return values[this.int(values.length)] as T;
  }

  string(): string {
    return this.pick([
      '', 'x', '/', '/abs/path', 'rel/path', 'sha256:', `sha256:${'a'.repeat(64)}`, `sha512:${'b'.repeat(128)}`,
      'CAP_KILL', 'CAP_NOPE', 'RLIMIT_NOFILE', 'pid', 'network', 'uts', 'user', 'c', 'b', 'p', 'rwm', 'rwx',
      'KEY=value', 'NOEQ', '1.0.0', '1.2.0-rc.1', 'application/vnd.oci.image.manifest.v1+json', 'a/b', 'layers',
      'SCMP_ACT_ALLOW', 'SCMP_ACT_NOTIFY', '\u0000', '\ud800', '__proto__', 'constructor', 'é'.repeat(3),
      String(this.rand()), 'x'.repeat(this.int(300)),
    ]);
  }

  number(): number {
    return this.pick([0, 1, -1, 2, 1.5, -1000, 1001, 2 ** 32, 2 ** 53, -(2 ** 63), Number.MAX_SAFE_INTEGER, 1e300, this.int(100000)]);
  }

  /** A random JSON value of bounded depth and width. */
  value(depth = 4): unknown {
    const kind = this.int(depth <= 0 ? 4 : 7);
    switch (kind) {
      case 0: return null;
      case 1: return this.rand() < 0.5;
      case 2: return this.number();
      case 3: return this.string();
      case 4: case 5: {
        const out: Record<string, unknown> = {};
        for (let i = this.int(5); i > 0; i--) out[this.string().slice(0, 20)] = this.value(depth - 1);
        return out;
      }
      default: return Array.from({ length: this.int(5) }, () => this.value(depth - 1));
    }
  }

  /** Returns a deep copy of `doc` with one to three random changes somewhere inside it. */
  mutate(doc: unknown): unknown {
    let copy = structuredClone(doc);
    for (let n = 1 + this.int(3); n > 0; n--) copy = this.#mutateOnce(copy);
    return copy;
  }

  #mutateOnce(doc: unknown): unknown {
    const containers: (Record<string, unknown> | unknown[])[] = [];
    const walk = (v: unknown): void => {
      if (v !== null && typeof v === 'object') {
        containers.push(v as Record<string, unknown>);
        for (const child of Object.values(v)) walk(child);
      }
    };
    walk(doc);
    if (containers.length === 0 || this.rand() < 0.05) return this.value();
    const target = this.pick(containers);
    const keys = Object.keys(target);
    const action = this.int(4);
    if (Array.isArray(target)) {
      if (action === 0 && target.length > 0) target.splice(this.int(target.length), 1);
      else if (action === 1) target.push(this.value(2));
      else if (target.length > 0) target[this.int(target.length)] = this.value(2);
      return doc;
    }
    if (action === 0 && keys.length > 0) delete target[this.pick(keys)];
    else if (action === 1) target[this.string().slice(0, 20)] = this.value(2);
    else if (keys.length > 0) target[this.pick(keys)] = this.value(2);
    return doc;
  }

  /** Random or damaged JSON text. */
  text(valid: string): string {
    const choice = this.int(4);
    if (choice === 0) return valid.slice(0, this.int(valid.length + 1));
    if (choice === 1) {
      const at = this.int(valid.length + 1);
      return valid.slice(0, at) + this.pick(['{', '}', '[', ']', ',', '"', ':', '\\', 'nul', '1e999', '\u0000']) + valid.slice(at);
    }
    if (choice === 2) return JSON.stringify(this.value());
    return this.string();
  }
}

/** Resolves a JSON pointer; returns `undefined` when a step is missing. */
export function resolvePointer(doc: unknown, pointer: string): { found: boolean; value?: unknown } {
  if (pointer === '') return { found: true, value: doc };
  let current: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, token)) {
      return { found: false };
    }
    current = (current as Record<string, unknown>)[token];
  }
  return { found: true, value: current };
}
