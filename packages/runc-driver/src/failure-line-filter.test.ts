import { describe, expect, it } from 'vitest';
import { FailureLineFilter } from './failure-line-filter.js';

function filtered(): { filter: FailureLineFilter; seen: string[] } {
  const seen: string[] = [];
  return { filter: new FailureLineFilter((stream, chunk) => seen.push(`${stream}:${chunk.toString()}`)), seen };
}

const FAILURE = Buffer.from('runc run failed: unable to start container process: exec: "nope": executable file not found in $PATH\n');

describe('FailureLineFilter', () => {
  it("drops runc's failure line when the call failed with it", () => {
    const { filter, seen } = filtered();
    filter.write('stdout', Buffer.from('before\n'));
    filter.write('stderr', FAILURE);
    filter.end(true);
    expect(seen).toEqual(['stdout:before\n']);
  });

  it('hands the same text over when the container wrote it: the call succeeded, or more output followed', () => {
    const succeeded = filtered();
    succeeded.filter.write('stderr', FAILURE);
    succeeded.filter.end(false);
    expect(succeeded.seen).toEqual([`stderr:${FAILURE.toString()}`]);
    const followed = filtered();
    followed.filter.write('stderr', FAILURE);
    followed.filter.write('stdout', Buffer.from('after\n'));
    followed.filter.end(true);
    expect(followed.seen).toEqual([`stderr:${FAILURE.toString()}`, 'stdout:after\n']);
  });

  it('passes other stderr, and stdout that looks like the line, straight through', () => {
    const { filter, seen } = filtered();
    filter.write('stdout', FAILURE);
    filter.write('stderr', Buffer.from('runc run failed: two\nlines\n'));
    expect(seen).toHaveLength(2);
  });
});
