// JSON with the two types CRI records hold that JSON lacks: bigint (timestamps, limits) and bytes (env values).

/** Serializes a record to JSON text, tagging bigints and byte arrays. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
    return v;
  });
}

/** Parses text written by {@link encodeJson}; throws SyntaxError for malformed input. */
export function decodeJson(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1) {
        const o = v as Record<string, unknown>;
        if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
        if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
      }
    }
    return v;
  });
}
