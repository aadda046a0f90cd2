import { describe, expect, it } from 'vitest';
import { isShimError } from '../../errors.js';
import { credentialsFromAuth } from './registry-auth.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('credentialsFromAuth', () => {
  it('gives nothing for no AuthConfig or an empty one', () => {
    expect(credentialsFromAuth(undefined, 'docker.io')).toBeUndefined();
    expect(credentialsFromAuth({}, 'docker.io')).toBeUndefined();
  });

  it('reads username/password, then identity token, then auth, then registry token', () => {
    expect(credentialsFromAuth({ username: 'u', password: 'p', auth: b64('x:y') }, 'h')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFromAuth({ identityToken: 'id', auth: b64('x:y') }, 'h')).toEqual({ identityToken: 'id' });
    expect(credentialsFromAuth({ auth: b64('x:y:z'), registryToken: 'rt' }, 'h')).toEqual({ username: 'x', password: 'y:z' });
    expect(credentialsFromAuth({ registryToken: 'rt' }, 'h')).toEqual({ registryToken: 'rt' });
  });

  it('trims NUL padding from a decoded password', () => {
    expect(credentialsFromAuth({ auth: b64('u:p\0\0') }, 'h')).toEqual({ username: 'u', password: 'p' });
  });

  it('ignores an AuthConfig for another server, matching docker.io aliases and schemes', () => {
    expect(credentialsFromAuth({ serverAddress: 'other.example', username: 'u', password: 'p' }, 'reg.example')).toBeUndefined();
    expect(credentialsFromAuth({ serverAddress: 'https://reg.example/v2/', username: 'u', password: 'p' }, 'reg.example')).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFromAuth({ serverAddress: 'https://index.docker.io/v1/', username: 'u', password: 'p' }, 'docker.io')).toEqual({ username: 'u', password: 'p' });
  });

  it('refuses an auth field that is not base64 of user:password, naming the field', () => {
    for (const auth of ['not base64!', b64('nocolon'), b64(':p')]) {
      let error: unknown;
      try {
        credentialsFromAuth({ auth }, 'h');
      } catch (e) {
        error = e;
      }
      expect(isShimError(error, 'InvalidArgument')).toBe(true);
      expect((error as Error).message).toContain('AuthConfig.auth');
    }
  });
});
