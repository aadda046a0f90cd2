import { ImageStoreError } from '../errors.js';

/** Variables an instruction's words are expanded with (build args and ENV in scope). */
export type Variables = ReadonlyMap<string, string>;

export interface ExpandOptions {
  /** The escape character of the Containerfile (`\` or a `# escape=` directive's). */
  escape?: string;
  /** Called with every variable name a word refers to (the cache key records the build args used). */
  onUse?: (name: string) => void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Expands and unquotes one or more words of an instruction as Containerfile processing does (not
 * a shell: no globbing, no command substitution): `$NAME`, `${NAME}`, `${NAME:-word}` and
 * `${NAME:+word}` outside single quotes, quotes removed, the escape character taking the next
 * character literally. With `split`, unquoted whitespace (in the text or in an unquoted
 * variable's value) separates words.
 */
export function expandWords(text: string, vars: Variables, options: ExpandOptions & { split: true }): string[];
export function expandWords(text: string, vars: Variables, options?: ExpandOptions & { split?: false }): string;
export function expandWords(text: string, vars: Variables, options: ExpandOptions & { split?: boolean } = {}): string | string[] {
  const escape = options.escape ?? '\\';
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '' | '"' | "'" = '';
  let i = 0;
  const variable = (): string => {
    // at text[i] === '$'
    const rest = text.slice(i + 1);
    if (rest.startsWith('{')) {
      const close = findClose(text, i + 2);
      if (close === -1) throw new ImageStoreError('BUILD_SYNTAX', `missing "}" in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, close);
      i = close + 1;
      const name = NAME.exec(body)?.[0];
      if (name === undefined) throw new ImageStoreError('BUILD_SYNTAX', `bad substitution \${${body}} in ${JSON.stringify(text)}`);
      options.onUse?.(name);
      const value = vars.get(name);
      const op = body.slice(name.length);
      if (op === '') return value ?? '';
      if (op.startsWith(':-')) return value !== undefined && value !== '' ? value : expandWords(op.slice(2), vars, { ...options, split: false });
      if (op.startsWith(':+')) return value !== undefined && value !== '' ? expandWords(op.slice(2), vars, { ...options, split: false }) : '';
      throw new ImageStoreError('BUILD_SYNTAX', `unsupported substitution \${${body}} in ${JSON.stringify(text)}`);
    }
    const name = NAME.exec(rest)?.[0];
    if (name === undefined) {
      i++;
      return '$';
    }
    i += 1 + name.length;
    options.onUse?.(name);
    return vars.get(name) ?? '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      else word += c;
      i++;
      continue;
    }
    if (c === escape && i + 1 < text.length) {
      const next = text[i + 1]!;
      // Inside double quotes only the specials are escaped; elsewhere the next character is literal.
      word += quote === '"' && !['"', '$', escape].includes(next) ? c + next : next;
      inWord = true;
      i += 2;
      continue;
    }
    if (c === '$') {
      const value = variable();
      if (options.split && quote === '' && /\s/.test(value)) {
        // An unquoted value is split into words too, as the shell does.
        const parts = value.split(/\s+/);
        parts.forEach((part, n) => {
          if (n > 0 && (inWord || word !== '')) {
            words.push(word);
            word = '';
            inWord = false;
          }
          word += part;
          inWord ||= part !== '';
        });
        continue;
      }
      word += value;
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = '';
      else word += c;
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
      i++;
      continue;
    }
    if (options.split && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  if (quote !== '') throw new ImageStoreError('BUILD_SYNTAX', `unterminated ${quote} quote in ${JSON.stringify(text)}`);
  if (!options.split) return word;
  if (inWord) words.push(word);
  return words;
}

function findClose(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}
