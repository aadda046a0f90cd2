/**
 * The platform an image runs on (image-spec image-index `platform`, also used in image configs).
 * Values follow Go's GOOS/GOARCH names (`linux`, `amd64`, `arm64`, ...).
 */
export interface Platform {
  /** CPU architecture, e.g. `amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`. */
  architecture: string;
  /** Operating system, e.g. `linux`, `windows`. */
  os: string;
  /** Operating system version, e.g. `10.0.14393.1066` for Windows. */
  'os.version'?: string;
  /** Required OS features, e.g. `win32k`. */
  'os.features'?: string[];
  /** CPU variant, e.g. `v7` for arm, `v8` for arm64, `v2`/`v3` for amd64. */
  variant?: string;
  /** Reserved by the image-spec; do not use. */
  features?: string[];
}
