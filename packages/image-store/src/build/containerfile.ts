import type * as DockerfileAst from 'dockerfile-ast';
import type { Instruction as AstInstruction, Property } from 'dockerfile-ast';
import { ImageStoreError } from '../errors.js';
import { loadOnUse } from '../load-on-use.js';

/** A command in exec form (`["a", "b"]`, run as is) or shell form (run by the SHELL). */
export type CommandForm = { exec: string[] } | { shell: string };

/** Where an instruction stands in its Containerfile. */
export interface At {
  /** 1-based line of the instruction in the Containerfile. */
  line: number;
  /** The instruction as written (continuations joined), for history entries and messages. */
  text: string;
}

/** A name and its unexpanded value (`ENV`, `LABEL`, `ARG`). */
export interface RawPair {
  name: string;
  raw: string;
}

export type Instruction = At &
  (
    | { kind: 'RUN'; command: CommandForm; network?: string }
    | { kind: 'COPY' | 'ADD'; args: string[] | string; from?: string; chown?: string; chmod?: string }
    | { kind: 'ENV' | 'LABEL'; pairs: RawPair[] }
    | { kind: 'ARG'; pairs: (RawPair & { hasDefault: boolean })[] }
    | { kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; raw: string }
    | { kind: 'EXPOSE'; raw: string }
    | { kind: 'VOLUME'; args: string[] | string }
    | { kind: 'CMD' | 'ENTRYPOINT'; command: CommandForm }
    | { kind: 'SHELL'; argv: string[] }
    | { kind: 'HEALTHCHECK'; test: string[]; flags: Record<string, string> }
    | { kind: 'ONBUILD'; trigger: string }
  );

export interface Stage {
  index: number;
  /** `AS name`, lower-cased as Docker compares stage names. */
  name?: string;
  /** The FROM image, unexpanded (global ARGs apply). */
  from: string;
  platform?: string;
  line: number;
  instructions: Instruction[];
}

export interface Containerfile {
  /** ARGs before the first FROM: usable in FROM lines, and in a stage that declares them again. */
  globalArgs: (RawPair & { hasDefault: boolean })[];
  stages: Stage[];
}

const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  RUN: ['network', 'mount', 'security'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link', 'checksum'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

const dockerfileAst = loadOnUse<typeof DockerfileAst>('dockerfile-ast');

const KINDS = new Set(['FROM', 'RUN', 'COPY', 'ADD', 'ENV', 'LABEL', 'ARG', 'WORKDIR', 'USER', 'STOPSIGNAL', 'MAINTAINER', 'EXPOSE', 'VOLUME', 'CMD', 'ENTRYPOINT', 'SHELL', 'HEALTHCHECK', 'ONBUILD']);

/**
 * Parses a Containerfile (Dockerfile syntax) into its stages. Words are left unexpanded: build
 * args and ENV are applied when the build reaches them. Throws BUILD_SYNTAX naming the file and
 * line for an unknown instruction, a missing or malformed argument, an unknown flag, or
 * instructions before the first FROM.
 */
export function parseContainerfile(text: string, options: { file?: string } = {}): Containerfile {
  const file = options.file ?? 'Containerfile';
  const document = dockerfileAst().DockerfileParser.parse(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const slice = (range: { start: { line: number; character: number }; end: { line: number; character: number } }): string =>
    text.slice(lineStarts[range.start.line]! + range.start.character, lineStarts[range.end.line]! + range.end.character);

  const globalArgs: Containerfile['globalArgs'] = [];
  const stages: Stage[] = [];
  for (const ast of document.getInstructions()) {
    const line = ast.getRange().start.line + 1;
    const fail = (why: string): never => {
      throw new ImageStoreError('BUILD_SYNTAX', `${file}:${line}: ${why}`);
    };
    const keyword = ast.getKeyword().toUpperCase();
    if (!KINDS.has(keyword)) fail(`unknown instruction ${JSON.stringify(ast.getKeyword())}`);
    const flags = readFlags(ast, keyword, fail);
    const content = (ast.getArgumentsContent() ?? '').trim();
    if (content === '') fail(`${keyword} needs arguments`);
    if (/^<<-?["']?[A-Za-z_]/.test(content)) fail(`${keyword}: here-documents are not supported`);
    const at: At = { line, text: `${keyword} ${oneLine(ast)}`.trim() };

    if (keyword === 'FROM') {
      const words = content.split(/\s+/);
      if (words.length === 2 || words.length > 3 || (words.length === 3 && words[1]!.toUpperCase() !== 'AS')) fail('FROM takes an image and optionally "AS name"');
      const name = words[2]?.toLowerCase();
      if (name !== undefined && !/^[a-z][a-z0-9_.-]*$/.test(name)) fail(`invalid stage name ${JSON.stringify(words[2])}`);
      if (name !== undefined && stages.some((s) => s.name === name)) fail(`stage name ${JSON.stringify(name)} is used twice`);
      stages.push({ index: stages.length, ...(name ? { name } : {}), from: words[0]!, ...(flags['platform'] ? { platform: flags['platform'] } : {}), line, instructions: [] });
      continue;
    }
    if (keyword === 'ARG' && stages.length === 0) {
      globalArgs.push(...argPairs(ast, slice, fail));
      continue;
    }
    const stage = stages[stages.length - 1] ?? fail(`${keyword} before the first FROM (only ARG may come before it)`);
    stage.instructions.push(instruction(keyword, at, ast, content, flags, slice, fail));
  }
  if (stages.length === 0) throw new ImageStoreError('BUILD_SYNTAX', `${file}: no FROM instruction`);
  return { globalArgs, stages };
}

function oneLine(ast: AstInstruction): string {
  return (ast.getRawArgumentsContent() ?? '').replace(/\\\r?\n\s*/g, '').replace(/\s*\r?\n\s*/g, ' ').trim();
}

function readFlags(ast: AstInstruction, keyword: string, fail: (why: string) => never): Record<string, string> {
  const out: Record<string, string> = {};
  const withFlags = ast as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
  for (const f of withFlags.getFlags?.() ?? []) {
    if (!(FLAGS[keyword] ?? []).includes(f.getName())) fail(`${keyword} has no flag --${f.getName()}`);
    out[f.getName()] = f.getValue() ?? '';
  }
  return out;
}

type Slice = (range: { start: { line: number; character: number }; end: { line: number; character: number } }) => string;

function pairs(ast: AstInstruction, slice: Slice, fail: (why: string) => never): RawPair[] {
  const props = (ast as unknown as { getProperties(): Property[] }).getProperties();
  return props.map((p) => {
    const range = p.getValueRange();
    const name = p.getName();
    if (name === '') fail('a name is missing');
    return { name, raw: range === null ? '' : slice(range).replace(/\\\r?\n\s*/g, '') };
  });
}

function argPairs(ast: AstInstruction, slice: Slice, fail: (why: string) => never): (RawPair & { hasDefault: boolean })[] {
  const props = (ast as unknown as { getProperties(): Property[] }).getProperties();
  return pairs(ast, slice, fail).map((p, i) => ({ ...p, hasDefault: props[i]!.getAssignmentOperator() !== null }));
}

/** A JSON array of strings (exec form), or undefined when the text is not one. */
function jsonArray(content: string): string[] | undefined {
  if (!content.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(content) as unknown;
    if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) return parsed as string[];
  } catch {
    // Not JSON: Docker then takes it as shell form.
  }
  return undefined;
}

function command(content: string): CommandForm {
  const exec = jsonArray(content);
  return exec === undefined ? { shell: content } : { exec };
}

function instruction(keyword: string, at: At, ast: AstInstruction, content: string, flags: Record<string, string>, slice: Slice, fail: (why: string) => never): Instruction {
  switch (keyword) {
    case 'RUN':
      return { ...at, kind: 'RUN', command: command(content), ...(flags['network'] ? { network: flags['network'] } : {}) };
    case 'COPY':
    case 'ADD': {
      const args = jsonArray(content) ?? content;
      if (Array.isArray(args) && args.length < 2) fail(`${keyword} needs a source and a destination`);
      if (flags['from'] !== undefined && keyword === 'ADD') fail('ADD has no flag --from');
      return {
        ...at,
        kind: keyword,
        args,
        ...(flags['from'] !== undefined ? { from: flags['from'] } : {}),
        ...(flags['chown'] !== undefined ? { chown: flags['chown'] } : {}),
        ...(flags['chmod'] !== undefined ? { chmod: flags['chmod'] } : {}),
      };
    }
    case 'ENV':
    case 'LABEL': {
      const list = pairs(ast, slice, fail);
      if (list.length === 0) fail(`${keyword} needs name=value`);
      return { ...at, kind: keyword, pairs: list };
    }
    case 'ARG':
      return { ...at, kind: 'ARG', pairs: argPairs(ast, slice, fail) };
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
    case 'EXPOSE':
      return { ...at, kind: keyword, raw: content } as Instruction;
    case 'VOLUME':
      return { ...at, kind: 'VOLUME', args: jsonArray(content) ?? content };
    case 'CMD':
    case 'ENTRYPOINT':
      return { ...at, kind: keyword, command: command(content) };
    case 'SHELL': {
      const argv = jsonArray(content);
      if (argv === undefined || argv.length === 0) fail('SHELL takes a JSON array, like ["/bin/sh", "-c"]');
      return { ...at, kind: 'SHELL', argv: argv! };
    }
    case 'HEALTHCHECK': {
      const [first, ...rest] = content.split(/\s+/);
      if (first!.toUpperCase() === 'NONE') return { ...at, kind: 'HEALTHCHECK', test: ['NONE'], flags };
      if (first!.toUpperCase() !== 'CMD' || rest.length === 0) fail('HEALTHCHECK takes NONE or CMD followed by a command');
      const cmd = command(content.slice(first!.length).trim());
      return { ...at, kind: 'HEALTHCHECK', test: 'exec' in cmd ? ['CMD', ...cmd.exec] : ['CMD-SHELL', cmd.shell], flags };
    }
    case 'ONBUILD': {
      const trigger = content.split(/\s+/)[0]!.toUpperCase();
      if (['ONBUILD', 'FROM', 'MAINTAINER'].includes(trigger)) fail(`ONBUILD cannot trigger ${trigger}`);
      return { ...at, kind: 'ONBUILD', trigger: content };
    }
  }
  return fail(`unknown instruction ${keyword}`);
}
