import { parseArgs } from 'node:util';
import { parseMetricsAddress } from '../observe/metrics-address.js';
import { parseLogFormat, parseLogLevel, type LogFormat, type LogLevel } from './stderr-logger.js';

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'serve'; socket: string; root: string; state: string; config?: string; logLevel?: LogLevel; logFormat?: LogFormat; metricsAddress?: string; tracingEndpoint?: string };

/** A command line that cannot be run; the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `Usage: shimkit serve --socket <path> --root <dir> --state <dir> [--config <file.json>] [--log-level <level>]
                     [--log-format text|json] [--metrics-address <addr>] [--tracing-endpoint <host:port>]
       shimkit image inspect [options] IMAGE
       shimkit image copy [options] SOURCE DESTINATION
       shimkit image sign|verify [options] IMAGE, shimkit image generate-key [options]
       shimkit build [options] CONTEXT
       shimkit [--root <dir>] [--runroot <dir>] run [options] IMAGE [COMMAND [ARG...]]
       shimkit --help | --version

Commands:
  serve                serve the CRI (below)
  run, create, start, ps, logs, exec, attach, stop, kill, rm, wait, inspect, port, stats,
  pull, images, rmi    podman's everyday commands, without a daemon: conmon keeps detached
                       containers running (shimkit run --help, shimkit ps --help, ...);
                       state in --root (default /var/lib/shimkit; images shared with serve)
                       and --runroot (default /run/shimkit)
  image inspect        describe an image without pulling it (shimkit image inspect --help)
  image copy           copy an image between docker://, oci:, oci-archive:, docker-archive: and
                       store: (shimkit image copy --help)
  image sign, verify   sign an image in a registry (sigstore key or gpg), or check its signatures
                       against a policy or key; generate-key makes a sigstore key pair
  build                build an image from a Containerfile (shimkit build --help)

Serves the Kubernetes CRI (RuntimeService and ImageService) on a unix socket, running pods
and containers with runc + conmon, images from registries, and CNI networking.

Options of serve:
  --socket <path>      unix socket to listen on (a path or unix:// endpoint)
  --root <dir>         persistent directory: images, pod and container metadata
  --state <dir>        volatile directory: runtime state, exit files, network namespaces
  --config <file>      JSON file with the module options (see the shimkit README)
  --log-level <level>  debug, info, warn or error (default: the config's logLevel, else info)
  --log-format <fmt>   text (default) or json: one object a line with time, level, msg and
                       the CRI call's requestId (its x-request-id metadata, else a new one)
  --metrics-address <addr>
                       serve Prometheus metrics at GET /metrics on host:port (such as
                       127.0.0.1:9090) or a unix socket path; none unless given
  --tracing-endpoint <host:port>
                       export OpenTelemetry spans (a span per CRI call, children for runc,
                       conmon, CNI and pulls) to this OTLP gRPC collector; none unless given

SIGTERM or SIGINT stops serving; containers keep running under conmon, and a shim started
again on the same root and state picks them up. SIGHUP rereads the registry configuration
(the config file's images.registry, registries.conf, hosts.toml). Under systemd, serve takes
its socket from socket activation and reports readiness to $NOTIFY_SOCKET.`;

/** Parses the arguments after `shimkit`. Throws {@link UsageError}. */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        socket: { type: 'string' },
        root: { type: 'string' },
        state: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'metrics-address': { type: 'string' },
        'tracing-endpoint': { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (values.version === true) return { kind: 'version' };
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError('no command given');
  if (command === 'help') return { kind: 'help' };
  if (command === 'version') return { kind: 'version' };
  if (command === 'image') throw new UsageError('image needs a command: inspect, copy, sign, verify or generate-key');
  if (command !== 'serve') throw new UsageError(`unknown command "${command}"`);
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const missing = (['socket', 'root', 'state'] as const).filter((k) => values[k] === undefined || values[k] === '');
  if (missing.length > 0) throw new UsageError(`serve needs ${missing.map((m) => `--${m}`).join(', ')}`);
  let logLevel: LogLevel | undefined;
  if (values['log-level'] !== undefined) {
    logLevel = parseLogLevel(values['log-level']);
    if (logLevel === undefined) throw new UsageError(`--log-level must be debug, info, warn or error, not "${values['log-level']}"`);
  }
  let logFormat: LogFormat | undefined;
  if (values['log-format'] !== undefined) {
    logFormat = parseLogFormat(values['log-format']);
    if (logFormat === undefined) throw new UsageError(`--log-format must be text or json, not "${values['log-format']}"`);
  }
  if (values['tracing-endpoint'] === '') throw new UsageError('--tracing-endpoint needs a value');
  if (values['metrics-address'] !== undefined) {
    try {
      parseMetricsAddress(values['metrics-address']);
    } catch (e) {
      throw new UsageError(`--metrics-address: ${(e as Error).message}`);
    }
  }
  return {
    kind: 'serve',
    socket: values.socket as string,
    root: values.root as string,
    state: values.state as string,
    ...(values.config === undefined ? {} : { config: values.config }),
    ...(logLevel === undefined ? {} : { logLevel }),
    ...(logFormat === undefined ? {} : { logFormat }),
    ...(values['metrics-address'] === undefined ? {} : { metricsAddress: values['metrics-address'] }),
    ...(values['tracing-endpoint'] === undefined ? {} : { tracingEndpoint: values['tracing-endpoint'] }),
  };
}
