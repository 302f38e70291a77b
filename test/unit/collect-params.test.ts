import { describe, expect, it } from 'vitest';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';
import { FilePart, validate } from '#shared/api/validate.ts';
import { collectParams } from '#shared/http/collect.ts';
import { httpEvent } from '../support/events.ts';
import { refusal } from '../support/refusal.ts';

/** A body of any bytes, base64-encoded as API Gateway passes a body that is not text. */
const raw = (bytes: Buffer, contentType: string) =>
  collectParams({
    ...httpEvent('group_set_memo'),
    headers: { 'content-type': contentType },
    body: bytes.toString('base64'),
    isBase64Encoded: true,
  });

describe('collecting parameters strictly', () => {
  it('refuses a body that is not UTF-8 with 164 instead of reading U+FFFD', async () => {
    const memo = Buffer.concat([Buffer.from('{"group_id":1,"memo":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]);
    expect(await refusal(() => raw(memo, 'application/json'))).toEqual({ status: 164, http: 400 });
    expect(
      await refusal(() => raw(Buffer.from([0x6d, 0x65, 0x6d, 0x6f, 0x3d, 0xc3]), 'application/x-www-form-urlencoded')),
    ).toEqual({
      status: 164,
      http: 400,
    });
    expect(raw(Buffer.from('{"memo":"群公告"}'), 'application/json')).toEqual({ memo: '群公告' });
  });

  it('refuses percent-escapes that do not spell UTF-8, in forms and in the query', async () => {
    const form = (body: string) =>
      collectParams(httpEvent('group_set_memo', { body, contentType: 'application/x-www-form-urlencoded' }));
    expect(await refusal(() => form('group_id=1&memo=%FF%FE%C0%AF'))).toEqual({ status: 164, http: 400 });
    expect(await refusal(() => collectParams(httpEvent('group_info', { query: 'group_id=1&x=%E4%B8' })))).toEqual({
      status: 164,
      http: 400,
    });
    expect(form('group_id=1&memo=%E7%BE%A4+news')).toMatchObject({ group_id: '1', memo: '群 news' });
  });

  it('refuses a number written with a literal + in a form, which form decoding would turn into a space', async () => {
    const price = walletMethods.group_set_price.params;
    const form = (body: string) =>
      collectParams(httpEvent('group_set_price', { body, contentType: 'application/x-www-form-urlencoded' }));
    expect(await refusal(async () => validate(price, form('group_id=1&price=+1&coin_id=1')))).toEqual({ status: 55, http: 400 });
    expect(await refusal(async () => validate(price, form('group_id=1&price=%2B1&coin_id=1')))).toEqual({
      status: 55,
      http: 400,
    });
    expect(await refusal(async () => validate(price, form('group_id=+1&price=1&coin_id=1')))).toEqual({ status: 166, http: 400 });
    expect(validate(price, form('group_id=1&price=1.5&coin_id=1'))).toEqual({ group_id: 1, price: '1.5', coin_id: 1 });
    // Text keeps the form's meaning of + as a space.
    const name = managementMethods.group_set_name.params;
    expect(validate(name, form('group_id=1&group_name=Hello+World'))).toEqual({ group_id: 1, group_name: 'Hello World' });
    // A body value replaces a signed one of the query.
    const both = collectParams(
      httpEvent('group_set_price', {
        body: 'price=2',
        query: 'group_id=1&price=+1&coin_id=1',
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
    expect(validate(price, both)).toEqual({ group_id: 1, price: '2', coin_id: 1 });
    expect(await refusal(async () => validate(groupMethods.group_user_list.params, form('group_id=1&limit=+5')))).toEqual({
      status: 166,
      http: 400,
    });
  });
});

describe('collecting parameters from multipart/form-data', () => {
  const CRLF = '\r\n';
  const field = (name: string, value: string | Buffer, extra = '') =>
    Buffer.concat([Buffer.from(`Content-Disposition: form-data; name="${name}"${extra}${CRLF}${CRLF}`), Buffer.from(value)]);
  const multipart = (boundary: string, parts: Buffer[], around: { preamble?: string; epilogue?: string } = {}) =>
    Buffer.concat([
      Buffer.from(around.preamble ?? ''),
      ...parts.flatMap((part) => [Buffer.from(`--${boundary}${CRLF}`), part, Buffer.from(CRLF)]),
      Buffer.from(`--${boundary}--${CRLF}${around.epilogue ?? ''}`),
    ]);

  it('reads text fields, repeated names as lists and file parts as files, past a preamble and an epilogue', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x0d, 0x0a, 0x2d, 0x2d, 0xff]);
    const body = multipart(
      'x-Boundary_1',
      [
        field('session_key', 's-1'),
        field('memo', '第一行\r\n--x-Boundar'),
        field('pre_admin', '7'),
        field('pre_admin', '8'),
        field('logo', png, '; filename="a \\"b\\".png"\r\nContent-Type: image/png'),
      ],
      { preamble: 'ignored preamble\r\n', epilogue: 'ignored epilogue' },
    );
    const params = raw(body, 'multipart/form-data; boundary="x-Boundary_1"');
    expect(params).toMatchObject({ session_key: 's-1', memo: '第一行\r\n--x-Boundar', pre_admin: ['7', '8'] });
    expect(params.logo).toBeInstanceOf(FilePart);
    expect(params.logo).toMatchObject({ bytes: png, filename: 'a "b".png', contentType: 'image/png' });
  });

  it('reads the logo file as its base64, treats an empty file part as not sent, and refuses a file for a text field', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const withLogo = (logo: Buffer) =>
      raw(
        multipart('b', [field('group_id', '5'), field('logo', logo, '; filename="logo.png"')]),
        'multipart/form-data; boundary=b',
      );
    const logoParams = managementMethods.group_update_logo.params;
    expect(validate(logoParams, withLogo(png))).toEqual({ group_id: 5, logo: png.toString('base64') });
    expect(await refusal(async () => validate(logoParams, withLogo(Buffer.alloc(0))))).toEqual({ status: 0, http: 400 });

    const memo = raw(
      multipart('b', [field('group_id', '5'), field('memo', 'text', '; filename="memo.txt"')]),
      'multipart/form-data; boundary=b',
    );
    expect(await refusal(async () => validate(managementMethods.group_set_memo.params, memo))).toEqual({ status: 57, http: 400 });
    const id = raw(multipart('b', [field('group_id', '5', '; filename="id.txt"')]), 'multipart/form-data; boundary=b');
    expect(await refusal(async () => validate(groupMethods.group_info.params, id))).toEqual({ status: 166, http: 400 });
  });

  it('keeps parts named __proto__ a field like any other, not the prototype of the parameters', () => {
    const params = raw(
      multipart('b', [field('__proto__', 'x'), field('__proto__', 'y'), field('group_id', '5')]),
      'multipart/form-data; boundary=b',
    );
    expect(Object.getOwnPropertyDescriptor(params, '__proto__')?.value).toEqual(['x', 'y']);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(params.group_id).toBe('5');
  });

  it('refuses what is not a well-formed multipart form with 164, and other multipart types with 415', async () => {
    const type = 'multipart/form-data; boundary=b';
    const cases: Array<[string, Buffer, string]> = [
      ['no boundary parameter', multipart('b', [field('a', '1')]), 'multipart/form-data'],
      ['a boundary that never appears', multipart('c', [field('a', '1')]), type],
      ['no closing boundary', Buffer.from(`--b\r\n${field('a', '1').toString()}\r\n`), type],
      ['a part without a name', multipart('b', [Buffer.from('Content-Disposition: form-data\r\n\r\nx')]), type],
      ['a part that is not form-data', multipart('b', [Buffer.from('Content-Disposition: attachment; name="a"\r\n\r\nx')]), type],
      ['a part without headers', multipart('b', [Buffer.from('x')]), type],
      ['a text field that is not UTF-8', multipart('b', [field('a', Buffer.from([0xc3, 0x28]))]), type],
      ['a part in base64', multipart('b', [field('a', 'eA==', '\r\nContent-Transfer-Encoding: base64')]), type],
      ['junk after a boundary', Buffer.from(`--b junk\r\n${field('a', '1').toString()}\r\n--b--`), type],
    ];
    for (const [why, body, contentType] of cases) {
      expect(await refusal(() => raw(body, contentType)), why).toEqual({ status: 164, http: 400 });
    }
    expect(await refusal(() => raw(multipart('b', [field('a', '1')]), 'multipart/mixed; boundary=b'))).toEqual({
      status: 164,
      http: 415,
    });
    expect(raw(Buffer.alloc(0), type)).toEqual({});
  });
});
