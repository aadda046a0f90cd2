import type { KeyValue } from '@shimkit/cri-types';
import { ShimError } from '../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Container env as `KEY=value` entries. The newest CRI sends values as bytes: they are
 * decoded as UTF-8, and a value that is not valid UTF-8 is refused naming the variable.
 */
export function decodeEnv(envs: readonly KeyValue[]): string[] {
  return envs.map(({ key, value }) => {
    if (key === '' || key.includes('=')) throw new ShimError('InvalidArgument', `invalid environment variable name ${JSON.stringify(key)}`);
    const bytes = value as Uint8Array | string | undefined;
    if (bytes === undefined || typeof bytes === 'string') return `${key}=${bytes ?? ''}`;
    try {
      return `${key}=${utf8.decode(bytes)}`;
    } catch (e) {
      throw new ShimError('InvalidArgument', `environment variable ${key} is not valid UTF-8`, { cause: e });
    }
  });
}
