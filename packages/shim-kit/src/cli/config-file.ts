import { ShimError } from '../errors.js';
import { readJsonInput } from '../host/read-json-input.js';
import type { DefaultModulesOptions } from '../shim/default-modules.js';
import { parseMetricsAddress } from '../observe/metrics-address.js';
import type { MetricsOptions } from '../observe/prometheus-metrics.js';
import type { OtelTracingOptions } from '../observe/otel-tracer.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './stderr-logger.js';

/**
 * The `--config` file of `shimkit serve`: JSON with the options of the default modules, as
 * `createShim`'s `defaults` takes them (only the JSON-expressible ones), and the log level.
 */
export interface ShimConfigFile extends DefaultModulesOptions {
  /** `debug`, `info` (default), `warn` or `error`. */
  logLevel?: LogLevel;
  /** `text` (default) or `json`. */
  logFormat?: LogFormat;
  /** Reported by Version (default `shimkit`). */
  runtimeName?: string;
  /** Prometheus metrics, served at `address` (`host:port` or a unix socket path); `--metrics-address` overrides it. */
  metrics?: MetricsOptions;
  /** OpenTelemetry tracing to an OTLP gRPC collector; `--tracing-endpoint` overrides `endpoint`. */
  tracing?: OtelTracingOptions;
  /** `createShim`'s idleCompaction: `{ idleMs }`, or `false` to turn it off. */
  idleCompaction?: { idleMs?: number } | false;
}

type Check = (value: unknown, path: string, issues: string[]) => void;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : `${typeof v} ${JSON.stringify(v)}`);

const str: Check = (v, p, issues) => void (typeof v !== 'string' || v === '' ? issues.push(`${p}: expected a non-empty string, got ${describe(v)}`) : undefined);
const bool: Check = (v, p, issues) => void (typeof v !== 'boolean' ? issues.push(`${p}: expected true or false, got ${describe(v)}`) : undefined);
const count: Check = (v, p, issues) =>
  void (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0 ? issues.push(`${p}: expected a positive integer, got ${describe(v)}`) : undefined);
const oneOf =
  (...allowed: readonly string[]): Check =>
  (v, p, issues) =>
    void (typeof v !== 'string' || !allowed.includes(v) ? issues.push(`${p}: expected one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${describe(v)}`) : undefined);
const strings: Check = (v, p, issues) => {
  if (!Array.isArray(v)) return void issues.push(`${p}: expected an array of strings, got ${describe(v)}`);
  v.forEach((item, i) => str(item, `${p}[${i}]`, issues));
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const object =
  (fields: Record<string, Check>): Check =>
  (v, p, issues) => {
    if (!isObject(v)) return void issues.push(`${p}: expected an object, got ${describe(v)}`);
    for (const [key, value] of Object.entries(v)) {
      const check = fields[key];
      if (check === undefined) issues.push(`${p}.${key}: unknown key (expected one of ${Object.keys(fields).join(', ')})`);
      else check(value, `${p}.${key}`, issues);
    }
  };
const mapOf =
  (check: Check): Check =>
  (v, p, issues) => {
    if (!isObject(v)) return void issues.push(`${p}: expected an object, got ${describe(v)}`);
    for (const [key, value] of Object.entries(v)) check(value, `${p}[${JSON.stringify(key)}]`, issues);
  };
const strOrStrings: Check = (v, p, issues) => (Array.isArray(v) ? strings(v, p, issues) : str(v, p, issues));
const pathOrOff: Check = (v, p, issues) => void (v !== false && (typeof v !== 'string' || v === '') ? issues.push(`${p}: expected a path or false, got ${describe(v)}`) : undefined);
const credentials: Check = (v, p, issues) => {
  const kinds = [object({ username: str, password: str }), object({ identityToken: str }), object({ registryToken: str })];
  if (isObject(v) && 'username' in v) return kinds[0]?.(v, p, issues);
  if (isObject(v) && 'identityToken' in v) return kinds[1]?.(v, p, issues);
  if (isObject(v) && 'registryToken' in v) return kinds[2]?.(v, p, issues);
  issues.push(`${p}: expected { username, password }, { identityToken } or { registryToken }, got ${describe(v)}`);
};
const withRequired =
  (check: Check, required: readonly string[]): Check =>
  (v, p, issues) => {
    check(v, p, issues);
    if (isObject(v)) for (const key of required) if (!(key in v)) issues.push(`${p}.${key}: required`);
  };

const perMillion: Check = (v, p, issues) =>
  void (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > 1_000_000 ? issues.push(`${p}: expected an integer from 0 to 1000000, got ${describe(v)}`) : undefined);
const metricsAddress: Check = (v, p, issues) => {
  if (typeof v !== 'string') return void issues.push(`${p}: expected host:port or a unix socket path, got ${describe(v)}`);
  try {
    parseMetricsAddress(v);
  } catch (e) {
    issues.push(`${p}: ${(e as Error).message}`);
  }
};
const idleCompaction: Check = (v, p, issues) =>
  void (v === false ? undefined : isObject(v) ? object({ idleMs: count })(v, p, issues) : issues.push(`${p}: expected false or { idleMs }, got ${describe(v)}`));

const SCHEMA = object({
  logLevel: oneOf(...LOG_LEVELS),
  logFormat: oneOf(...LOG_FORMATS),
  runtimeName: str,
  metrics: object({ address: metricsAddress, processMetrics: bool }),
  tracing: withRequired(object({ endpoint: str, serviceName: str, samplingRatePerMillion: perMillion }), ['endpoint']),
  idleCompaction,
  runtime: object({
    runtime: str,
    runtimeRoot: str,
    conmon: str,
    systemdCgroup: bool,
    shmSizeBytes: count,
    prestartConmon: bool,
    pauseImage: str,
    state: str,
    handlers: mapOf(withRequired(object({ binary: str, root: str }), ['binary'])),
  }),
  images: object({
    root: str,
    registry: object({
      hosts: mapOf(
        object({
          mirrors: strings,
          plainHttp: bool,
          endpoint: str,
          blocked: bool,
          credentials,
          tls: object({ caFile: strOrStrings, certFile: str, keyFile: str, insecureSkipVerify: bool }),
        }),
      ),
      configPath: str,
      requestTimeoutMs: count,
      progressTimeoutMs: count,
      userAgent: str,
      maxRedirects: (v, p, issues) => void (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 ? issues.push(`${p}: expected an integer >= 0, got ${describe(v)}`) : undefined),
    }),
    dockerConfig: (v, p, issues) => void (v !== true && (typeof v !== 'string' || v === '') ? issues.push(`${p}: expected a path or true, got ${describe(v)}`) : undefined),
    snapshotter: oneOf('auto', 'overlay', 'copy'),
    keepLayerBlobs: bool,
    concurrency: count,
    progressTimeoutMs: count,
    pinnedImages: strings,
    gcOnRemove: bool,
    signaturePolicy: str,
    registriesDir: str,
    registriesConf: pathOrOff,
    certsDir: pathOrOff,
  }),
  network: object({
    confDir: str,
    binDirs: strings,
    netnsDir: str,
    cacheDir: str,
    ifName: str,
    pluginTimeoutMs: count,
  }),
});

/**
 * Checks a parsed config file against the schema; every problem is reported at once, each
 * naming its key (`config.runtime.runtme: unknown key ...`). Throws `InvalidArgument`.
 */
export function parseShimConfigFile(value: unknown, source = 'config'): ShimConfigFile {
  const issues: string[] = [];
  SCHEMA(value, source, issues);
  if (issues.length > 0) throw new ShimError('InvalidArgument', `invalid ${source}:\n  ${issues.join('\n  ')}`);
  return value as ShimConfigFile;
}

/**
 * Reads and checks a config file (see {@link parseShimConfigFile}); a signature policy and
 * registries.d it names are read too, so that a bad one stops `serve` before it starts.
 */
export async function loadShimConfigFile(path: string, options: { signal?: AbortSignal } = {}): Promise<ShimConfigFile> {
  const parsed = await readJsonInput(path, 'config file', options.signal);
  const config = parseShimConfigFile(parsed, path);
  const { signaturePolicy, registriesDir } = config.images ?? {};
  if (typeof signaturePolicy === 'string' || registriesDir !== undefined) {
    // Loaded only here: the other commands do not pay for image-store.
    const { isImageStoreError, loadRegistriesDir, loadSignaturePolicy } = await import('@shimkit/image-store');
    try {
      if (typeof signaturePolicy === 'string') await loadSignaturePolicy(signaturePolicy);
      if (registriesDir !== undefined) await loadRegistriesDir(registriesDir);
    } catch (e) {
      if (isImageStoreError(e)) throw new ShimError('InvalidArgument', `invalid ${path}: images: ${e.message}`, { cause: e });
      throw e;
    }
  }
  return config;
}
