/** One challenge from a WWW-Authenticate header (RFC 7235). */
export interface AuthChallenge {
  /** Lower-cased scheme: `basic`, `bearer`, ... */
  scheme: string;
  /** Auth parameters with lower-cased names (`realm`, `service`, `scope`, `error`). */
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header value, which may hold several challenges:
 * `Bearer realm="https://auth/token",service="registry",scope="repository:a:pull", Basic realm="x"`.
 * Quoted values may contain commas and backslash escapes.
 */
export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const name = token();
    if (name === '') {
      i++; // unexpected character: skip it
      continue;
    }
    skipSpace();
    if (header[i] === '=' && current !== undefined) {
      i++;
      skipSpace();
      let value: string;
      if (header[i] === '"') {
        i++;
        value = '';
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        // RFC 7235 wants a token here; servers send URLs unquoted too, so read up to the next comma.
        const startValue = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
        value = header.slice(startValue, i);
      }
      current.params[name.toLowerCase()] = value;
      continue;
    }
    // A token not followed by '=' starts a new challenge.
    i = start + name.length;
    current = { scheme: name.toLowerCase(), params: {} };
    out.push(current);
  }
  return out;
}
