import { describe, expect, it } from 'vitest';
import { isImageStoreError } from '../errors.js';
import { expandWords } from './shell-words.js';

const vars = new Map([
  ['A', 'one'],
  ['EMPTY', ''],
  ['SPACED', 'two words'],
]);

describe('expandWords', () => {
  it('expands $NAME and ${NAME}, unset names to nothing', () => {
    expect(expandWords('$A-${A}x$UNSET.', vars)).toBe('one-onex.');
  });

  it('takes ${NAME:-word} when unset or empty and ${NAME:+word} when set', () => {
    expect(expandWords('${EMPTY:-d} ${UNSET:-$A} ${A:-d}', vars)).toBe('d one one');
    expect(expandWords('[${A:+set}] [${EMPTY:+set}]', vars)).toBe('[set] []');
  });

  it('keeps single-quoted text literal and expands in double quotes, removing the quotes', () => {
    expect(expandWords(`'$A' "$A" "it's"`, vars)).toBe(`$A one it's`);
  });

  it('takes the escape character literally, and a custom escape character', () => {
    expect(expandWords('\\$A \\"', vars)).toBe('$A "');
    expect(expandWords('`$A C:\\dir', vars, { escape: '`' })).toBe('$A C:\\dir');
  });

  it('splits words on unquoted white space only, after expansion of quoted parts', () => {
    expect(expandWords(`a  "b c" $SPACED '' d`, vars, { split: true })).toEqual(['a', 'b c', 'two', 'words', '', 'd']);
  });

  it('reports the variables used', () => {
    const used: string[] = [];
    expandWords('$A ${B:-$C}', vars, { onUse: (n) => used.push(n) });
    expect(used).toEqual(['A', 'B', 'C']);
  });

  it('refuses an unterminated quote, a missing brace and an unsupported operator', () => {
    for (const text of ['"open', '${A', '${A/x/y}', '${}']) {
      let error: unknown;
      try {
        expandWords(text, vars);
      } catch (e) {
        error = e;
      }
      expect(isImageStoreError(error, 'BUILD_SYNTAX')).toBe(true);
    }
  });
});
