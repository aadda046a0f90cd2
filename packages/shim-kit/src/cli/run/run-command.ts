import type { Command } from 'commander';
import { Option } from 'commander';
import type { CreateContainerRequest } from '../../engine/container-engine.js';
import type { NetworkMode } from '../../engine/engine-container.js';
import { parseEnvArg, readEnvFile } from '../../engine/env-file.js';
import { parsePortMapping } from '../../engine/port-mapping.js';
import { parseCpus, parseMemory } from '../../engine/resource-flags.js';
import { parseVolume } from '../../engine/volume-mount.js';
import type { EngineCommandIo } from './engine-io.js';
import { collect } from './engine-options.js';
import { runForeground } from './foreground.js';
import { pullProgressBars } from './pull-progress.js';

interface RunFlags {
  detach?: boolean;
  rm?: boolean;
  interactive?: boolean;
  tty?: boolean;
  name?: string;
  env?: string[];
  envFile?: string[];
  volume?: string[];
  publish?: string[];
  network: string;
  user?: string;
  workdir?: string;
  entrypoint?: string;
  readOnly?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  memory?: string;
  cpus?: string;
}

/** The flags `run` and `create` share, turned into the engine's request. */
function addCreateFlags(command: Command): Command {
  return command
    .argument('<image>', 'image to run (pulled when missing)')
    .argument('[command...]', 'command and arguments (default: the image\'s)')
    .option('--name <name>', 'name of the container')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable; K alone takes it from this environment)', collect)
    .option('--env-file <file>', 'read environment variables from a file (repeatable)', collect)
    .option('-v, --volume <HOST:CTR[:ro]>', 'bind-mount a host directory (repeatable)', collect)
    .option('-p, --publish <[IP:][HOST:]CTR[/proto]>', 'publish a container port on the host (repeatable; bridge network)', collect)
    .addOption(new Option('--network <mode>', 'network').choices(['bridge', 'host', 'none']).default('bridge'))
    .option('-u, --user <user[:group]>', 'user to run as (name or id)')
    .option('-w, --workdir <dir>', 'working directory in the container')
    .option('--entrypoint <cmd>', 'replace the image\'s entrypoint (a JSON array, or one word)')
    .option('--read-only', 'mount the root filesystem read-only (tmpfs on /tmp, /var/tmp, /run)')
    .option('--cap-add <cap>', 'add a capability (repeatable; ALL for all)', collect)
    .option('--cap-drop <cap>', 'drop a capability (repeatable; ALL for all)', collect)
    .option('-m, --memory <limit>', 'memory limit (e.g. 64m, 1g)')
    .option('--cpus <n>', 'CPU limit (e.g. 0.5)')
    .option('-i, --interactive', 'keep stdin open')
    .option('-t, --tty', 'allocate a terminal')
    .option('--rm', 'remove the container when it exits')
    .passThroughOptions();
}

function entrypointOf(text: string): string[] {
  if (text.trim().startsWith('[')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed as string[];
    } catch {
      // not JSON: one word, as podman takes it
    }
  }
  return [text];
}

async function requestOf(image: string, command: string[], flags: RunFlags): Promise<CreateContainerRequest> {
  const env: string[] = [];
  for (const file of flags.envFile ?? []) env.push(...(await readEnvFile(file)));
  for (const e of flags.env ?? []) {
    const v = parseEnvArg(e);
    if (v !== undefined) env.push(v);
  }
  return {
    image,
    ...(command.length > 0 ? { command } : {}),
    ...(flags.entrypoint !== undefined ? { entrypoint: entrypointOf(flags.entrypoint) } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    env,
    volumes: (flags.volume ?? []).map(parseVolume),
    ports: (flags.publish ?? []).map(parsePortMapping),
    network: flags.network as NetworkMode,
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
    readOnly: flags.readOnly ?? false,
    capAdd: flags.capAdd ?? [],
    capDrop: flags.capDrop ?? [],
    ...(flags.memory !== undefined ? { memoryBytes: parseMemory(flags.memory) } : {}),
    ...(flags.cpus !== undefined ? { cpus: parseCpus(flags.cpus) } : {}),
    tty: flags.tty ?? false,
    interactive: flags.interactive ?? false,
    autoRemove: flags.rm ?? false,
  };
}

/** `shimkit run`: create and start a container; in the foreground its exit code is the command's. */
export function runCommand(parent: Command, io: EngineCommandIo): Command {
  return addCreateFlags(parent.command('run').description('Run a command in a new container').usage('[options] IMAGE [COMMAND [ARG...]]'))
    .option('-d, --detach', 'run in the background and print the container id')
    .action(async (image: string, command: string[], flags: RunFlags) => {
      const request = await requestOf(image, command, flags);
      const engine = io.engine();
      let bars: Awaited<ReturnType<typeof pullProgressBars>> | undefined;
      let loading: Promise<void> | undefined;
      request.onPull = (name, progress) => {
        if (progress === undefined) {
          io.err(`Trying to pull ${name}...\n`);
          const tty = io.progressTty;
          if (tty) loading = pullProgressBars(tty).then((b) => void (bars = b));
        } else bars?.onProgress(progress);
      };
      const stopBars = async (): Promise<void> => {
        await loading;
        bars?.stop();
        bars = undefined;
      };
      if (flags.detach) {
        const { container } = await engine.run(request, io.exitCommand ? { exitCommand: io.exitCommand } : {}).finally(stopBars);
        io.out(`${container.id}\n`);
        return;
      }
      io.setExitCode(await runForeground(engine, request, io, stopBars));
    });
}

/** `shimkit create`: create a container without starting it; prints its id. */
export function createCommand(parent: Command, io: EngineCommandIo): Command {
  return addCreateFlags(parent.command('create').description('Create a container without starting it').usage('[options] IMAGE [COMMAND [ARG...]]')).action(
    async (image: string, command: string[], flags: RunFlags) => {
      const container = await io.engine().create(await requestOf(image, command, flags));
      io.out(`${container.id}\n`);
    },
  );
}
