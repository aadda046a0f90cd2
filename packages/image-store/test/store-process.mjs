// A second process on a shared store root, driven by the shared-store tests: one JSON request
// per stdin line ({ id, op, args }), one JSON reply per stdout line ({ id, ok, value } or { id, ok: false, code, message }).
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ImageStore } from '../dist/index.js';

const root = process.argv[2];
const store = await ImageStore.open({ root, lock: { staleMs: 2000 }, registry: { retry: { attempts: 2, baseDelayMs: 10 } } });

const ops = {
  pull: (ref) => store.pull(ref).then((r) => r.id),
  list: () => store.list().map((r) => ({ id: r.id, repoTags: r.repoTags })),
  get: (ref) => store.get(ref)?.id ?? null,
  remove: (ref) => store.remove(ref),
  tag: (image, name) => store.tag(image, name).then((r) => r.repoTags),
  createRootfs: (id, image) => store.createRootfs(id, image).then((r) => r.path),
  removeRootfs: (id) => store.removeRootfs(id),
  gc: () => store.gc(),
  // Takes the store's lock directory the way the store does, and never lets it go (the test kills this process).
  holdLock: () => lockfile.lock(join(root, 'store.lock'), { stale: 2000, realpath: false, lockfilePath: join(root, 'store.lock'), onCompromised: () => undefined }).then(() => true),
  close: async () => {
    await store.close();
    setTimeout(() => process.exit(0), 0);
    return true;
  },
};

for await (const line of createInterface({ input: process.stdin })) {
  const { id, op, args = [] } = JSON.parse(line);
  // Requests run at once (not one after another), so a test can start a pull and go on.
  void Promise.resolve()
    .then(() => ops[op](...args))
    .then(
      (value) => process.stdout.write(`${JSON.stringify({ id, ok: true, value })}\n`),
      (e) => process.stdout.write(`${JSON.stringify({ id, ok: false, code: e.code, message: e.message })}\n`),
    );
}
