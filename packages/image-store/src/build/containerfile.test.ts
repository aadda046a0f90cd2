import { describe, expect, it } from 'vitest';
import { parseContainerfile } from './containerfile.js';

function syntaxError(text: string): string {
  try {
    parseContainerfile(text, { file: 'Dockerfile' });
  } catch (e) {
    return (e as Error).message;
  }
  return 'parsed';
}

describe('parseContainerfile', () => {
  it('splits stages with their names, global ARGs and instructions with 1-based lines', () => {
    const file = parseContainerfile('# comment\nARG V=1\nFROM img:$V AS Build\nRUN make \\\n  all\nFROM --platform=linux/arm64 scratch\nCOPY --from=build --chown=1:2 /out /\n');
    expect(file.globalArgs).toEqual([{ name: 'V', raw: '1', hasDefault: true }]);
    expect(file.stages.map((s) => [s.index, s.name, s.from, s.platform, s.line])).toEqual([
      [0, 'build', 'img:$V', undefined, 3],
      [1, undefined, 'scratch', 'linux/arm64', 6],
    ]);
    expect(file.stages[0]!.instructions).toEqual([{ kind: 'RUN', line: 4, text: 'RUN make all', command: { shell: 'make   all' } }]);
    expect(file.stages[1]!.instructions[0]).toMatchObject({ kind: 'COPY', line: 7, args: '/out /', from: 'build', chown: '1:2' });
  });

  it('tells exec form from shell form, and malformed JSON is shell form', () => {
    const [run, cmd, entry] = parseContainerfile('FROM x\nRUN ["a", "b c"]\nCMD [not json]\nENTRYPOINT ["x"]\n').stages[0]!.instructions;
    expect(run).toMatchObject({ command: { exec: ['a', 'b c'] } });
    expect(cmd).toMatchObject({ command: { shell: '[not json]' } });
    expect(entry).toMatchObject({ command: { exec: ['x'] } });
  });

  it('keeps ENV and LABEL values unexpanded, with quotes, for the build to expand', () => {
    const [env, label] = parseContainerfile('FROM x\nENV A=1 B="two $A" \\\n C=\'$lit\'\nLABEL "k v"=w\n').stages[0]!.instructions;
    expect(env).toMatchObject({ kind: 'ENV', pairs: [{ name: 'A', raw: '1' }, { name: 'B', raw: '"two $A"' }, { name: 'C', raw: "'$lit'" }] });
    expect(label).toMatchObject({ kind: 'LABEL', pairs: [{ name: 'k v', raw: 'w' }] });
  });

  it('reads HEALTHCHECK, SHELL and ONBUILD', () => {
    const [hc, none, shell, onbuild] = parseContainerfile('FROM x\nHEALTHCHECK --retries=2 CMD ["true"]\nHEALTHCHECK NONE\nSHELL ["/bin/bash", "-c"]\nONBUILD COPY . /src\n').stages[0]!.instructions;
    expect(hc).toMatchObject({ test: ['CMD', 'true'], flags: { retries: '2' } });
    expect(none).toMatchObject({ test: ['NONE'] });
    expect(shell).toMatchObject({ argv: ['/bin/bash', '-c'] });
    expect(onbuild).toMatchObject({ trigger: 'COPY . /src' });
  });

  it('names the file and line of each syntax error', () => {
    expect(syntaxError('FROM x\n\nBOGUS y\n')).toBe('Dockerfile:3: unknown instruction "BOGUS"');
    expect(syntaxError('FROM x\nENV\n')).toBe('Dockerfile:2: ENV needs arguments');
    expect(syntaxError('RUN x\n')).toBe('Dockerfile:1: RUN before the first FROM (only ARG may come before it)');
    expect(syntaxError('FROM x AS\n')).toBe('Dockerfile:1: FROM takes an image and optionally "AS name"');
    expect(syntaxError('FROM x AS a\nFROM y AS A\n')).toBe('Dockerfile:2: stage name "a" is used twice');
    expect(syntaxError('FROM x\nSHELL /bin/sh\n')).toBe('Dockerfile:2: SHELL takes a JSON array, like ["/bin/sh", "-c"]');
    expect(syntaxError('FROM x\nRUN --bogus=1 true\n')).toBe('Dockerfile:2: RUN has no flag --bogus');
    expect(syntaxError('FROM x\nONBUILD FROM y\n')).toBe('Dockerfile:2: ONBUILD cannot trigger FROM');
    expect(syntaxError('FROM x\nHEALTHCHECK CMD\n')).toBe('Dockerfile:2: HEALTHCHECK takes NONE or CMD followed by a command');
    expect(syntaxError('# only a comment\n')).toBe('Dockerfile: no FROM instruction');
  });
});
