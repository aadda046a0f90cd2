import type * as Ws from 'ws';

// ws loads with the first WebSocket session, not with the shim: a shim nobody execs into keeps
// its code out of memory (about 1 MiB of V8 heap).
let loading: Promise<typeof Ws> | undefined;
export const loadWs = (): Promise<typeof Ws> => (loading ??= import('ws'));
