import type { Dispatcher } from 'undici';
import { ImageStoreError } from '../errors.js';
import type { RegistryCredentials } from './credentials.js';
import type { HttpTransport } from './http-transport.js';
import { readAll } from './http-transport.js';
import type { AuthChallenge } from './www-authenticate.js';
import { parseWwwAuthenticate } from './www-authenticate.js';

interface CachedToken {
  header: string;
  expiresAt: number;
}

/** Minimum token lifetime the distribution token spec promises when expires_in is absent. */
const DEFAULT_TOKEN_SECONDS = 60;

/**
 * Answers registry auth challenges: Basic with the host's credentials, or a
 * bearer token from the challenge's realm (docker token spec), cached per
 * host and scope until shortly before it expires. Once a host has challenged,
 * later requests send credentials up front.
 */
export class Authorizer {
  private readonly challenges = new Map<string, AuthChallenge>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly pending = new Map<string, Promise<string>>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly credentials: (host: string) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>,
    private readonly dispatcherFor: (host: string) => Dispatcher | undefined = () => undefined,
  ) {}

  /** The Authorization header to send to `host` for `scope`, when the host is known to want one. */
  async header(host: string, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.challenges.get(host);
    if (challenge === undefined) return undefined;
    return this.answer(host, scope, challenge, signal);
  }

  /** Handles a 401: remembers the challenge and returns a header to retry with, or throws REGISTRY_UNAUTHORIZED. */
  async challenged(host: string, scope: string, wwwAuthenticate: string | null, signal?: AbortSignal): Promise<string> {
    const offered = parseWwwAuthenticate(wwwAuthenticate ?? '');
    const challenge = offered.find((c) => c.scheme === 'bearer') ?? offered.find((c) => c.scheme === 'basic');
    if (challenge === undefined) {
      throw new ImageStoreError('REGISTRY_UNAUTHORIZED', `${host} answered 401 without a usable challenge (${wwwAuthenticate ?? 'no WWW-Authenticate'})`, { status: 401 });
    }
    this.challenges.set(host, challenge);
    this.tokens.delete(`${host}|${scope}`);
    // The registry names every scope the request needs (a cross-repository mount also needs pull on the source).
    const wanted = [...new Set([scope, ...(challenge.params.scope ?? '').split(' ').filter(Boolean)])].join(' ');
    return this.answer(host, scope, challenge, signal, wanted);
  }

  /** Forgets a cached token (after the registry refused it). */
  forget(host: string, scope: string): void {
    this.tokens.delete(`${host}|${scope}`);
  }

  /** `scope` keys the token cache; `wanted` (space-separated) is what the token is asked for. */
  private async answer(host: string, scope: string, challenge: AuthChallenge, signal?: AbortSignal, wanted = scope): Promise<string> {
    const creds = await this.credentials(host);
    if (challenge.scheme === 'basic') {
      if (creds === undefined || !('username' in creds)) {
        throw new ImageStoreError('REGISTRY_UNAUTHORIZED', `${host} requires a username and password (basic auth) and none is configured`, { status: 401 });
      }
      return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    }
    if (creds !== undefined && 'registryToken' in creds) return `Bearer ${creds.registryToken}`;
    const key = `${host}|${scope}`;
    const cached = this.tokens.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.header;
    const running = this.pending.get(key);
    if (running !== undefined) return running;
    const job = this.fetchToken(host, wanted, challenge, creds, signal)
      .then((token) => {
        this.tokens.set(key, token);
        return token.header;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, job);
    return job;
  }

  private async fetchToken(host: string, scope: string, challenge: AuthChallenge, creds: RegistryCredentials | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = challenge.params.realm;
    if (!realm) throw new ImageStoreError('REGISTRY_PROTOCOL', `${host}: bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch (e) {
      throw new ImageStoreError('REGISTRY_PROTOCOL', `${host}: bearer realm ${JSON.stringify(realm)} is not a URL`, { cause: e });
    }
    const service = challenge.params.service;
    const headers: Record<string, string> = {};
    let method = 'GET';
    let body: string | undefined;
    if (creds !== undefined && 'identityToken' in creds) {
      // OAuth2 refresh-token grant, as the token spec describes for identity tokens.
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'shimkit', scope });
      if (service) form.set('service', service);
      body = form.toString();
    } else {
      if (service) url.searchParams.set('service', service);
      for (const one of scope.split(' ')) url.searchParams.append('scope', one);
      if (creds !== undefined && 'username' in creds) {
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
      }
    }
    const res = await this.transport.send({ url: url.toString(), method, headers, body, signal, retry: method === 'GET', dispatcher: this.dispatcherFor(url.host) });
    const text = (await readAll(res, this.transport.progressTimeoutMs, 1 << 20, signal)).toString('utf8');
    const { status } = res.response;
    if (status === 401 || status === 403) {
      throw new ImageStoreError(status === 401 ? 'REGISTRY_UNAUTHORIZED' : 'REGISTRY_DENIED', `token server ${url.host} refused ${scope} (${status}): ${text.slice(0, 200)}`, { status });
    }
    if (status !== 200) throw new ImageStoreError('REGISTRY_PROTOCOL', `token server ${url.host} answered ${status} for ${scope}`, { status });
    let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw new ImageStoreError('REGISTRY_PROTOCOL', `token server ${url.host} sent invalid JSON`, { cause: e });
    }
    const token = typeof doc.token === 'string' && doc.token !== '' ? doc.token : doc.access_token;
    if (typeof token !== 'string' || token === '') throw new ImageStoreError('REGISTRY_PROTOCOL', `token server ${url.host} sent no token`);
    const seconds = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    // Renew 10% early so a token does not expire in flight.
    return { header: `Bearer ${token}`, expiresAt: Date.now() + seconds * 900 };
  }
}
