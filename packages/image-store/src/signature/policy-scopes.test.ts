import { describe, expect, it } from 'vitest';
import { dockerScopes, pathScopes } from './policy-scopes.js';

describe('policy scopes', () => {
  it('lists a docker reference\'s scopes from the most specific, then host wildcards', () => {
    expect(dockerScopes('registry.example.com:5000/ns/app:v1', { wildcards: true })).toEqual([
      'registry.example.com:5000/ns/app:v1',
      'registry.example.com:5000/ns/app',
      'registry.example.com:5000/ns',
      'registry.example.com:5000',
      '*.example.com',
      '*.com',
    ]);
    const d = `sha256:${'c'.repeat(64)}`;
    expect(dockerScopes(`localhost:5000/app@${d}`, { wildcards: false })).toEqual([`localhost:5000/app@${d}`, 'localhost:5000/app', 'localhost:5000']);
  });

  it('lists a path\'s scopes: path:name, the path, its parents', () => {
    expect(pathScopes('/srv/images/app', 'v1')).toEqual(['/srv/images/app:v1', '/srv/images/app', '/srv/images', '/srv']);
    expect(pathScopes('/a.tar', undefined)).toEqual(['/a.tar']);
  });
});
