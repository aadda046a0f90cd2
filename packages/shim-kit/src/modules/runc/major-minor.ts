/** The major and minor numbers of a version string (`1.1.5`, `5.10.0-28-amd64`); 0 where there is none. */
export function majorMinor(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split(/[.-]/).map((p) => Number.parseInt(p, 10));
  return [Number.isNaN(major) ? 0 : major, Number.isNaN(minor) ? 0 : minor];
}
