import { conformance } from './conformance.js';

// crun runs through a wrapper that gives it a mount namespace without the cgroup2 mount
// (see crunWithoutUnifiedMount in fixtures.ts).
conformance('crun');
