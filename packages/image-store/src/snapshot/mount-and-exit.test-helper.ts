// Run by a test as its own process: mounts a tmpfs on argv[2] through a Mounter, unmounts it, and
// prints "done". The process must then exit by itself: an idle host helper holds no reference.
import { HostHelper } from '@shimkit/host-helper';
import { Mounter } from './mount.js';

const target = process.argv[2]!;
const mounter = new Mounter(new HostHelper());
await mounter.mount({ source: 'tmpfs', target, fstype: 'tmpfs', data: 'size=1m' });
await mounter.unmount(target);
console.log('done');
