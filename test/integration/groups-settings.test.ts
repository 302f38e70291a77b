import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setAdmins } from '#shared/groups/admins.ts';
import { updateLogo } from '#shared/groups/logo.ts';
import { groupInfo, userGroups } from '#shared/groups/read.ts';
import { setDnd, setMemo, setName } from '#shared/groups/settings.ts';
import { dirLogoStore } from '#shared/logo/store.ts';
import { createTestDb } from '../support/db.ts';
import { seedUsers } from '../support/fixtures.ts';
import { refusal } from '../support/refusal.ts';
import { eventsOf, groupWith } from './groups-support.ts';

const db = await createTestDb();
const logoDir = await mkdtemp(join(tmpdir(), 'logos-'));
afterAll(async () => {
  await db.drop();
  await rm(logoDir, { recursive: true, force: true });
});
beforeAll(() => seedUsers(db, 10));

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a png')]);

describe('group_set_memo and group_set_name', () => {
  it('sets the memo (admin) and the name (owner), each with an event carrying old and new texts', async () => {
    const gid = await groupWith(db, 1, [2, 3], { name: '旧名', memo: 'old memo' });
    await setAdmins(db, gid, 1, [2]);
    const memo = await setMemo(db, gid, 2, '新公告');
    expect(memo.group_info).toMatchObject({ memo: '新公告', name: '旧名', role: 'admin' });
    const name = await setName(db, gid, 1, '新名');
    expect(name.group_info).toMatchObject({ memo: '新公告', name: '新名', role: 'owner' });
    expect((await groupInfo(db, gid, 3)).group_info).toMatchObject({ memo: '新公告', name: '新名' });
    expect((await eventsOf(db, gid, 'Bulletin'))[0]).toMatchObject({
      actor: 2,
      data: { name: '旧名', memo: '新公告', old_name: '旧名', old_memo: 'old memo' },
    });
    expect((await eventsOf(db, gid, 'Rename'))[0]).toMatchObject({
      actor: 1,
      data: { name: '新名', memo: '新公告', old_name: '旧名', old_memo: '新公告' },
    });
  });

  it('writes no event when the text does not change', async () => {
    const gid = await groupWith(db, 1, [2], { memo: 'same' });
    await setMemo(db, gid, 1, 'same');
    expect(await eventsOf(db, gid, 'Bulletin')).toHaveLength(0);
  });

  it('keeps every concurrent memo change as an event whose old value is the one it replaced', async () => {
    const gid = await groupWith(db, 1, [2], { memo: 'm0' });
    await Promise.all(Array.from({ length: 6 }, (_, i) => setMemo(db, gid, 1, `m${i + 1}`)));
    const events = await eventsOf(db, gid, 'Bulletin');
    expect(events).toHaveLength(6);
    const chain = new Map(events.map((e) => [(e.data as { old_memo: string }).old_memo, (e.data as { memo: string }).memo]));
    let memo = 'm0';
    for (let i = 0; i < 6; i++) memo = chain.get(memo)!;
    expect((await groupInfo(db, gid, 1)).group_info.memo).toBe(memo);
  });

  it('refuses plain members (154), outsiders (58) and missing groups (52)', async () => {
    const gid = await groupWith(db, 1, [2]);
    expect(await refusal(setMemo(db, gid, 2, 'x'))).toEqual({ status: 154, http: 403 });
    expect(await refusal(setName(db, gid, 5, 'x'))).toEqual({ status: 58, http: 403 });
    expect(await refusal(setName(db, 31337, 1, 'x'))).toEqual({ status: 52, http: 404 });
  });
});

describe('group_set_dnd', () => {
  it('sets the caller’s flag, shown in group_info and user_groups, with a SetDnd event', async () => {
    const gid = await groupWith(db, 1, [2]);
    expect((await setDnd(db, gid, 2, 1)).group_info).toMatchObject({ dnd: 1, role: 'member' });
    expect((await groupInfo(db, gid, 2)).group_info.dnd).toBe(1);
    expect((await groupInfo(db, gid, 1)).group_info.dnd).toBe(0);
    expect((await userGroups(db, 2)).user_groups.find((g) => g.id === gid)?.dnd).toBe(1);
    await setDnd(db, gid, 2, 1);
    await setDnd(db, gid, 2, 0);
    expect((await eventsOf(db, gid, 'SetDnd')).map((e) => e.data)).toEqual([
      { name: '', user_id: 2, dnd: 1 },
      { name: '', user_id: 2, dnd: 0 },
    ]);
    expect(await refusal(setDnd(db, gid, 7, 1))).toEqual({ status: 58, http: 403 });
  });
});

describe('group_update_logo', () => {
  const store = dirLogoStore(logoDir, 'http://127.0.0.1:3000/_local/logos/');

  it('stores a PNG under its content hash, points the group at its URL and writes SetLogo', async () => {
    const gid = await groupWith(db, 1, [2], { name: 'logo' });
    const hash = createHash('sha256').update(PNG).digest('hex');
    const out = await updateLogo(db, store, { groupId: gid, caller: 1, logo: PNG.toString('base64') });
    expect(out.logo).toBe(`http://127.0.0.1:3000/_local/logos/${hash}.png`);
    expect(out.group_info.logo).toBe(out.logo);
    expect(await readFile(join(logoDir, `${hash}.png`))).toEqual(PNG);
    expect((await eventsOf(db, gid, 'SetLogo'))[0]).toMatchObject({ data: { name: 'logo', logo: out.logo, old_logo: '' } });
    // The same image again: the same key and file, and no new event.
    await updateLogo(db, store, { groupId: gid, caller: 1, logo: `data:image/gif;base64,${PNG.toString('base64')}` });
    expect(await readdir(logoDir)).toEqual([`${hash}.png`]);
    expect(await eventsOf(db, gid, 'SetLogo')).toHaveLength(1);
  });

  it('refuses bad base64 (17), a non-image (18), and a member who is not an admin (154), storing nothing', async () => {
    const gid = await groupWith(db, 1, [2]);
    const before = await readdir(logoDir);
    expect(await refusal(updateLogo(db, store, { groupId: gid, caller: 1, logo: 'not base64!' }))).toEqual({
      status: 17,
      http: 400,
    });
    const gif = Buffer.from('GIF89a....').toString('base64');
    expect(await refusal(updateLogo(db, store, { groupId: gid, caller: 1, logo: gif }))).toEqual({ status: 18, http: 400 });
    expect(await refusal(updateLogo(db, store, { groupId: gid, caller: 2, logo: PNG.toString('base64') }))).toEqual({
      status: 154,
      http: 403,
    });
    expect(await readdir(logoDir)).toEqual(before);
    expect((await groupInfo(db, gid, 1)).group_info.logo).toBe('');
  });
});
