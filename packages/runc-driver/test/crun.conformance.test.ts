import { conformance } from './conformance.js';

// crun runs through a wrapper that gives it a mount namespace without the cgroup2 mount
// (test-bed's bin/crun-cgroup-v1).
conformance('crun');
