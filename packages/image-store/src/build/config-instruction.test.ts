import { describe, expect, it } from 'vitest';
import { applyConfigInstruction, parseDuration } from './config-instruction.js';
import type { ConfigInstruction } from './config-instruction.js';
import { parseContainerfile } from './containerfile.js';
import type { StageState } from './stage-state.js';
import { DEFAULT_SHELL } from './stage-state.js';

function run(text: string, base: StageState['config'] = {}, buildArgs: Record<string, string> = {}): StageState {
  const state: StageState = { image: undefined, config: structuredClone(base), key: 'k', pending: [], args: new Map(), shell: DEFAULT_SHELL, cmdSet: false };
  for (const ins of parseContainerfile(`FROM x\n${text}`).stages[0]!.instructions) {
    applyConfigInstruction(state, ins as ConfigInstruction, { buildArgs, globals: new Map([['G', 'global']]) });
  }
  return state;
}

describe('applyConfigInstruction', () => {
  it('expands ENV from the values before the instruction and lets later ones see it', () => {
    const s = run('ENV A=1\nENV A=2 B=$A\nENV C="${B}-$A"', { Env: ['PATH=/bin'] });
    expect(s.config.Env).toEqual(['PATH=/bin', 'A=2', 'B=1', 'C=1-2']);
    // buildah's order: a variable set again moves to the end
    expect(run('ENV HOME=/h PATH=/h/bin:$PATH G=x', { Env: ['PATH=/bin', 'TERM=xterm'] }).config.Env).toEqual(['TERM=xterm', 'HOME=/h', 'PATH=/h/bin:/bin', 'G=x']);
  });

  it('scopes ARGs: build args win, a bare ARG takes the global value, ENV wins over ARG in expansion', () => {
    const s = run('ARG G\nARG A=default\nARG B=b\nENV B=env\nLABEL g=$G a=$A b=$B', {}, { A: 'given' });
    expect(s.config.Labels).toEqual({ g: 'global', a: 'given', b: 'env' });
    expect([...s.args]).toEqual([['G', 'global'], ['A', 'given'], ['B', 'b']]);
  });

  it('an ENTRYPOINT drops the base CMD but not one set in the stage; shell forms use the SHELL', () => {
    expect(run('ENTRYPOINT ["e"]', { Cmd: ['base'] }).config.Cmd).toBeUndefined();
    expect(run('CMD ["mine"]\nENTRYPOINT ["e"]', { Cmd: ['base'] }).config.Cmd).toEqual(['mine']);
    expect(run('SHELL ["/bin/bash", "-xc"]\nCMD echo hi').config.Cmd).toEqual(['/bin/bash', '-xc', 'echo hi']);
  });

  it('resolves WORKDIR against the one before and records history and key', () => {
    const s = run('WORKDIR /a\nWORKDIR b/../c');
    expect(s.config.WorkingDir).toBe('/a/c');
    expect(s.workdirToMake).toBe('/a/c');
    // History has the instructions as written, as buildah's has.
    expect(s.pending.map((h) => h.created_by)).toEqual(['/bin/sh -c #(nop) WORKDIR /a', '/bin/sh -c #(nop) WORKDIR b/../c']);
    expect(s.key).not.toBe(run('WORKDIR /a\nWORKDIR /a/d').key);
  });

  it('reads Go durations', () => {
    expect(parseDuration('1m30s', 'x')).toBe(90e9);
    expect(parseDuration('250ms', 'x')).toBe(250e6);
    expect(() => parseDuration('5', '--interval')).toThrow('--interval: "5" is not a duration like 30s or 1m30s');
  });
});
