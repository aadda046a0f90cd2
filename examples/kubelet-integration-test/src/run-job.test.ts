import { connect, isCriError, type CriClient } from '@shimkit/cri-types';
import { ShimError } from 'shimkit';
import { startFakeShim, type FakeShim } from 'shimkit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runJob } from './run-job.js';

describe('runJob against a fake CRI runtime', () => {
  let cri: FakeShim;
  let client: CriClient;
  beforeEach(async () => {
    cri = await startFakeShim();
    client = await connect(cri.endpoint);
  });
  afterEach(async () => {
    await client.close();
    await cri.close();
  });

  const job = { name: 'migrate', namespace: 'db', image: 'busybox', command: ['sh', '-c', './migrate'], retries: 2 };

  it('retries a failing job with the next attempt number, then cleans the pod up', async () => {
    cri.fakes.runtime.scriptExit('migrate', { exitCode: 1, afterMs: 5, times: 1 });
    cri.fakes.runtime.scriptExit('migrate', { exitCode: 0, afterMs: 5 });

    const result = await runJob(client, job);

    expect(result).toEqual({ attempts: 2, exitCode: 0, reason: 'Completed' });
    expect(cri.fakes.images.callsTo('pull')).toHaveLength(1);
    expect(cri.fakes.runtime.callsTo('createContainer')).toHaveLength(2);
    expect((await client.runtime.listPodSandbox({})).items).toEqual([]);
    expect(cri.fakes.runtime.containers()).toEqual([]);
    expect(cri.fakes.network.attachments().size).toBe(0);
  });

  it('gives up after the retries and reports the last failure', async () => {
    cri.fakes.runtime.scriptExit('migrate', { exitCode: 3, afterMs: 5 });
    expect(await runJob(client, job)).toEqual({ attempts: 3, exitCode: 3, reason: 'Error' });
  });

  it('does not pull an image that is already there', async () => {
    cri.fakes.images.addImage('busybox');
    cri.fakes.runtime.scriptExit('migrate', { exitCode: 0 });
    await runJob(client, job);
    expect(cri.fakes.images.callsTo('pull')).toEqual([]);
  });

  it('surfaces a runtime failure with its gRPC code and leaves nothing behind', async () => {
    cri.fakes.runtime.failNext('startContainer', new ShimError('Unavailable', 'runc is gone'));
    const error = await runJob(client, job).catch((e: unknown) => e);
    expect(isCriError(error, 'Unavailable')).toBe(true);
    expect(cri.fakes.runtime.sandboxes()).toEqual([]);
  });
});
