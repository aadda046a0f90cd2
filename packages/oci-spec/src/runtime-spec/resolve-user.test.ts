import { describe, expect, it } from 'vitest';
import { resolveImageUser } from './resolve-user.js';
import { parseGroup, parsePasswd } from './user-database.js';

const passwd = [
  '# comment',
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1::/:/usr/sbin/nologin',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'broken line',
  'bad:x:notanumber:1::/:/bin/sh',
  '',
].join('\n');
const group = ['root:x:0:', 'wheel:x:10:root,app', 'app:x:1000:', 'video:x:44: app , other', 'dup:x:1000:app', 'junk'].join('\n');
const db = { passwd, group };

describe('user databases', () => {
  it('parse passwd and group, skipping junk', () => {
    expect(parsePasswd(passwd).map((p) => p.name)).toEqual(['root', 'daemon', 'app']);
    expect(parseGroup(group).find((g) => g.name === 'video')?.members).toEqual(['app', 'other']);
  });
});

describe('resolveImageUser', () => {
  it.each([
    ['', { uid: 0, gid: 0, additionalGids: [10] }],
    ['root', { uid: 0, gid: 0, additionalGids: [10] }],
    ['app', { uid: 1000, gid: 1000, additionalGids: [10, 44] }],
    ['1000', { uid: 1000, gid: 1000 }],
    ['4242', { uid: 4242, gid: 0 }],
    ['1000:5', { uid: 1000, gid: 5 }],
    ['app:wheel', { uid: 1000, gid: 10 }],
    ['app:77', { uid: 1000, gid: 77 }],
    ['4242:video', { uid: 4242, gid: 44 }],
    [' daemon ', { uid: 1, gid: 1 }],
  ])('%j -> %j', (user, expected) => {
    expect(resolveImageUser(user, db)).toEqual(expected);
  });

  it('works without databases for numeric users', () => {
    expect(resolveImageUser('1000:1000')).toEqual({ uid: 1000, gid: 1000 });
    expect(resolveImageUser('')).toEqual({ uid: 0, gid: 0 });
  });

  it.each([
    ['nobody', 'UNKNOWN_USER', /user "nobody" is not in the image's \/etc\/passwd/],
    ['app:nogroup', 'UNKNOWN_GROUP', /group "nogroup" is not in the image's \/etc\/group/],
    ['app:', 'INVALID_ARGUMENT', /expected user\[:group\]/],
    ['a:b:c', 'INVALID_ARGUMENT', /expected user\[:group\]/],
    ['99999999999', 'UNKNOWN_USER', /99999999999/],
  ])('%j fails with %s', (user, code, message) => {
    expect(() => resolveImageUser(user, db)).toThrow(expect.objectContaining({ code }));
    expect(() => resolveImageUser(user, db)).toThrow(message);
  });

  it('says when the image has no /etc/passwd', () => {
    expect(() => resolveImageUser('app')).toThrow(/\(no \/etc\/passwd\)/);
    expect(() => resolveImageUser('0:wheel')).toThrow(/\(no \/etc\/group\)/);
  });
});
