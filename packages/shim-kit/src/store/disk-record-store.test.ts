import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleSandbox } from '../conformance/store-samples.js';
import type { Logger } from '../interfaces/logger.js';
import { DiskSandboxStore } from './stores.js';

describe('DiskRecordStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `shimkit-disk-${process.pid}-`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON file per record, with bigints and bytes tagged, and no temp files left', async () => {
    const store = new DiskSandboxStore(dir);
    await store.load();
    await store.add(sampleSandbox('abc', 'pod_ns_uid_0'));
    expect(await readdir(dir)).toEqual(['abc.json']);
    const text = await readFile(join(dir, 'abc.json'), 'utf8');
    expect(text).toContain('{"$bigint":"1700000000123456789"}');
    await store.delete('abc');
    expect(await readdir(dir)).toEqual([]);
  });

  it('sets aside unreadable files, removes temp files of interrupted writes, and reports them', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`) };
    await writeFile(join(dir, 'broken.json'), '{"version":1,"record":');
    await writeFile(join(dir, 'wrongid.json'), JSON.stringify({ version: 1, record: { id: 'other', name: 'x' } }));
    await writeFile(join(dir, '.tmp-abc.json-1-deadbeef'), 'partial');
    const first = new DiskSandboxStore(dir, { logger });
    await first.load();
    expect(first.list()).toEqual([]);
    await first.add(sampleSandbox('ok1', 'fine'));
    const store = new DiskSandboxStore(dir);
    await store.load();
    expect(store.list().map((r) => r.id)).toEqual(['ok1']);
    expect((await readdir(dir)).sort()).toEqual(['broken.json.corrupt', 'ok1.json', 'wrongid.json.corrupt']);
    expect(warnings.join('\n')).toMatch(/broken\.json\.corrupt.*not JSON/);
    expect(warnings.join('\n')).toMatch(/does not match the file name/);
  });

  it('a new record replaces a file an earlier record of that id left behind', async () => {
    await writeFile(join(dir, 'again.json'), 'left over');
    const store = new DiskSandboxStore(dir);
    await store.add(sampleSandbox('again', 'fresh'));
    expect(await readdir(dir)).toEqual(['again.json']);
    const reread = new DiskSandboxStore(dir);
    await reread.load();
    expect(reread.list().map((r) => r.name)).toEqual(['fresh']);
  });

  it('refuses an id that cannot name a file, and keeps nothing of the failed add', async () => {
    const store = new DiskSandboxStore(dir);
    await store.load();
    await expect(store.add(sampleSandbox('../escape', 'n'))).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(store.list()).toEqual([]);
    expect(store.getByName('n')).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });
});
