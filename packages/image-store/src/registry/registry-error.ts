import type { ImageStoreErrorCode } from '../errors.js';
import { ImageStoreError } from '../errors.js';

/** Turns a failed registry response (status + body) into a typed error carrying the registry's error code. */
export function registryError(status: number, body: string, what: string): ImageStoreError {
  let registryCode: string | undefined;
  let detail = '';
  try {
    const doc = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const first = doc.errors?.[0];
    if (typeof first?.code === 'string') registryCode = first.code;
    if (first !== undefined) detail = `${String(first.code ?? '')}${first.message ? `: ${String(first.message)}` : ''}`;
  } catch {
    detail = body.slice(0, 200).trim();
  }
  let code: ImageStoreErrorCode;
  if (status === 401) code = 'REGISTRY_UNAUTHORIZED';
  else if (status === 403) code = 'REGISTRY_DENIED';
  else if (status === 404) code = 'REGISTRY_NOT_FOUND';
  else if (status === 429) code = 'REGISTRY_TOO_MANY_REQUESTS';
  else if (status >= 500) code = 'REGISTRY_SERVER_ERROR';
  else code = 'REGISTRY_PROTOCOL';
  return new ImageStoreError(code, `${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`, { status, registryCode });
}
