/** The podman-like commands of the `shimkit` CLI (besides `serve` and `image`). */
export const ENGINE_COMMANDS: ReadonlySet<string> = new Set([
  'run', 'create', 'start', 'ps', 'logs', 'stop', 'kill', 'rm', 'wait', 'inspect', 'exec', 'attach', 'port', 'stats', 'pull', 'images', 'rmi', 'container-cleanup',
]);

const VALUED_GLOBALS = new Set(['--root', '--runroot', '--runtime', '--cgroup-parent']);

/** The first word of argv after the global options (`--root DIR`, `--runroot DIR`, ...). */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (VALUED_GLOBALS.has(a)) i++;
    else if (![...VALUED_GLOBALS].some((g) => a.startsWith(`${g}=`))) return a;
  }
  return undefined;
}

/** Whether argv is an engine command, its global options allowed before it. */
export function isEngineCommand(argv: readonly string[]): boolean {
  const name = commandName(argv);
  return name !== undefined && ENGINE_COMMANDS.has(name);
}
