import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Envelope, startTestRuntime, type TestRuntime } from '../support/local-runtime.ts';

/**
 * `multipart/form-data` bodies over HTTP, as Postman's form mode, `curl -F` and browsers'
 * FormData send them: fields read like any form, the logo as an image file part.
 */

let runtime: TestRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
});

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rest of a png')]);

async function post(method: string, body: FormData | string, contentType?: string) {
  const res = await fetch(`${runtime.url}/im/${method}`, {
    method: 'POST',
    body,
    ...(contentType ? { headers: { 'content-type': contentType } } : {}),
  });
  return { http: res.status, body: (await res.json()) as Envelope };
}

describe('multipart/form-data bodies', () => {
  let groupId = 0;

  it('are read field by field: the session, an id list and UTF-8 text', async () => {
    const created = await runtime.call(
      'group_create',
      { user_list: '2,3', group_name: '群 multipart' },
      { session: 'demo-session-1', as: 'multipart' },
    );
    expect(created.body).toMatchObject({ success: true, status: 1 });
    expect(created.body.data.group_info).toMatchObject({ name: '群 multipart', member_count: 3 });
    groupId = created.body.data.group_id;

    // A repeated name is a list, as in a URL-encoded form.
    const form = new FormData();
    form.append('session_key', 'demo-session-1');
    form.append('group_id', String(groupId));
    form.append('pre_admin', '2');
    form.append('pre_admin', '3');
    const promoted = await post('group_set_admin', form);
    expect(promoted.body).toMatchObject({ success: true });
    expect(promoted.body.data.group_info.admins).toEqual(expect.arrayContaining([2, 3]));
  });

  it('take the logo as an image file part', async () => {
    const form = new FormData();
    form.append('session_key', 'demo-session-1');
    form.append('group_id', String(groupId));
    form.append('logo', new Blob([PNG], { type: 'image/png' }), 'logo.png');
    const updated = await post('group_update_logo', form);
    expect(updated.http).toBe(200);
    const logo = await fetch(updated.body.data.logo as string);
    expect(Buffer.from(await logo.arrayBuffer())).toEqual(PNG);
  });

  it('refuse a file where text is expected, with the field’s status, and change nothing', async () => {
    const form = new FormData();
    form.append('session_key', 'demo-session-1');
    form.append('group_id', String(groupId));
    form.append('memo', new Blob(['from a file'], { type: 'text/plain' }), 'memo.txt');
    const refused = await post('group_set_memo', form);
    expect(refused).toMatchObject({ http: 400, body: { success: false, status: 57, msg: 'memo takes text, not a file' } });
    const info = await runtime.call('group_info', { group_id: groupId }, { session: 'demo-session-1' });
    expect(info.body.data.group_info.memo).toBe('');
  });

  it('refuse a body without its closing boundary with 164, and other multipart types with 415 status 164', async () => {
    const cut = await post(
      'group_info',
      '--b\r\nContent-Disposition: form-data; name="group_id"\r\n\r\n1\r\n',
      'multipart/form-data; boundary=b',
    );
    expect(cut).toMatchObject({ http: 400, body: { status: 164 } });
    expect(cut.body.msg).toContain('closing boundary');

    const mixed = await post(
      'group_info',
      '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n',
      'multipart/mixed; boundary=b',
    );
    expect(mixed).toMatchObject({ http: 415, body: { success: false, status: 164 } });
  });
});
