import {
  SecurityProfile_ProfileType,
  type LinuxContainerSecurityContext,
  type SecurityProfile,
} from '@shimkit/cri-types';
import { DEFAULT_CAPABILITIES, isKnownCapability, normalizeCapability, type RuntimeSpecBuilder, type Seccomp } from '@shimkit/oci-spec';
import { ShimError } from '../errors.js';
import { defaultSeccompProfile } from './default-seccomp.js';
import { appArmorProfileLoaded, appArmorProfileName, hostAppArmorEnabled } from '../host/host-apparmor.js';
import { hostCapabilities } from '../host/host-capabilities.js';
import { hostDevices } from '../host/host-devices.js';
import { readJsonInput } from '../host/read-json-input.js';

/**
 * Applies a container's security context: privileged mode, capabilities (default set, then
 * add/drop with `ALL`, then ambient ones), no_new_privs, masked and read-only paths, seccomp
 * (RuntimeDefault allowing what the granted capabilities unlock) and AppArmor.
 * `ALL` and privileged mean every capability the shim itself holds, and a privileged container
 * gets the host's devices (as with containerd's defaults). AppArmor profiles are set only when
 * the host enforces AppArmor; a Localhost profile (`localhost/` prefix or not) must be loaded,
 * else it is `InvalidArgument`.
 */
export async function applySecurityContext(
  builder: RuntimeSpecBuilder,
  sc: LinuxContainerSecurityContext | undefined,
  options: { sandboxPrivileged: boolean; signal?: AbortSignal },
): Promise<void> {
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  builder.setNoNewPrivileges(sc?.noNewPrivs ?? false);
  if (sc?.privileged === true) {
    if (!options.sandboxPrivileged) throw new ShimError('InvalidArgument', 'a privileged container needs a privileged pod sandbox');
    await applyPrivileged(builder, signal);
    return;
  }
  applyCapabilities(builder, sc, await hostCapabilities());
  if (sc !== undefined && sc.maskedPaths.length > 0) builder.setMaskedPaths(sc.maskedPaths);
  if (sc !== undefined && sc.readonlyPaths.length > 0) builder.setReadonlyPaths(sc.readonlyPaths);
  let bounding: readonly string[] = [];
  builder.update((spec) => void (bounding = spec.process?.capabilities?.bounding ?? []));
  builder.setSeccomp(await seccompProfile(sc, bounding, options.signal));
  await applyAppArmor(builder, profileOf(sc?.apparmor, sc?.apparmorProfile ?? ''), signal);
}

async function applyPrivileged(builder: RuntimeSpecBuilder, signal: { signal?: AbortSignal }): Promise<void> {
  builder.setPrivileged().setCapabilities(await hostCapabilities());
  // every device is already allowed in the device cgroup; the nodes must exist too
  for (const device of await hostDevices(signal)) builder.addDevice(device, { allow: false });
  if (!(await hostAppArmorEnabled())) builder.update((spec) => void delete spec.process?.apparmorProfile);
}

async function applyAppArmor(builder: RuntimeSpecBuilder, profile: ReturnType<typeof profileOf>, signal: { signal?: AbortSignal }): Promise<void> {
  if (profile.type !== SecurityProfile_ProfileType.Localhost) return;
  const name = appArmorProfileName(profile.ref);
  if (!(await hostAppArmorEnabled())) throw new ShimError('InvalidArgument', `AppArmor profile ${JSON.stringify(name)} requested, but AppArmor is not enabled on this host`);
  if (!(await appArmorProfileLoaded(name, signal))) throw new ShimError('InvalidArgument', `AppArmor profile ${JSON.stringify(name)} is not loaded on this host`);
  builder.setSecurityLabels({ apparmorProfile: name });
}

function applyCapabilities(builder: RuntimeSpecBuilder, sc: LinuxContainerSecurityContext | undefined, all: readonly string[]): void {
  const add = sc?.capabilities?.addCapabilities ?? [];
  const drop = sc?.capabilities?.dropCapabilities ?? [];
  const isAll = (c: string): boolean => normalizeCapability(c) === 'CAP_ALL';
  builder.setCapabilities(add.some(isAll) ? all : DEFAULT_CAPABILITIES);
  if (drop.some(isAll)) builder.setCapabilities([]);
  try {
    builder.addCapabilities(add.filter((c) => !isAll(c)));
    builder.dropCapabilities(drop.filter((c) => !isAll(c)));
  } catch (e) {
    throw new ShimError('InvalidArgument', (e as Error).message, { cause: e });
  }
  applyAmbientCapabilities(builder, sc?.capabilities?.addAmbientCapabilities ?? []);
}

/**
 * Ambient capabilities (`add_ambient_capabilities`): kept across the execve of a non-root
 * process, so they go into every set, inheritable and ambient included (after the drops: asking
 * for one explicitly wins).
 */
function applyAmbientCapabilities(builder: RuntimeSpecBuilder, requested: readonly string[]): void {
  if (requested.length === 0) return;
  const names = requested.map(normalizeCapability);
  const bad = names.filter((n) => !isKnownCapability(n));
  if (bad.length > 0) throw new ShimError('InvalidArgument', `add_ambient_capabilities: unknown capabilities ${bad.join(', ')} (ALL is not allowed here)`);
  builder.addCapabilities(names);
  builder.update((spec) => {
    const caps = spec.process?.capabilities;
    if (caps === undefined) return;
    caps.inheritable = [...new Set([...(caps.inheritable ?? []), ...names])];
    caps.ambient = [...new Set([...(caps.ambient ?? []), ...names])];
  });
}

/** A profile from the structured field, or from the deprecated path string (`runtime/default`, `unconfined`, `localhost/<path>`). */
function profileOf(profile: SecurityProfile | undefined, legacy: string): { type: SecurityProfile_ProfileType | undefined; ref: string } {
  if (profile !== undefined) return { type: profile.profileType, ref: profile.localhostRef };
  if (legacy === 'runtime/default' || legacy === 'docker/default') return { type: SecurityProfile_ProfileType.RuntimeDefault, ref: '' };
  if (legacy.startsWith('localhost/')) return { type: SecurityProfile_ProfileType.Localhost, ref: legacy.slice('localhost/'.length) };
  return { type: undefined, ref: '' };
}

async function seccompProfile(
  sc: LinuxContainerSecurityContext | undefined,
  capabilities: readonly string[],
  signal: AbortSignal | undefined,
): Promise<Seccomp | undefined> {
  const { type, ref } = profileOf(sc?.seccomp, sc?.seccompProfilePath ?? '');
  if (type === SecurityProfile_ProfileType.RuntimeDefault) return defaultSeccompProfile(capabilities);
  if (type !== SecurityProfile_ProfileType.Localhost) return undefined;
  if (!ref.startsWith('/')) throw new ShimError('InvalidArgument', `seccomp localhost profile must be an absolute path, got ${JSON.stringify(ref)}`);
  const parsed = await readJsonInput(ref, 'seccomp profile', signal);
  if (parsed === null || typeof parsed !== 'object' || typeof (parsed as Seccomp).defaultAction !== 'string') {
    throw new ShimError('InvalidArgument', `seccomp profile ${ref} has no defaultAction`);
  }
  return parsed as Seccomp;
}
