export { TestBedError, isTestBedError } from './errors.js';
export type { TestBedErrorCode } from './errors.js';
export { createBusyboxRootfs } from './busybox-rootfs.js';
export type { BusyboxRootfs, BusyboxRootfsOptions } from './busybox-rootfs.js';
