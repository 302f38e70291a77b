import { describe, expect, it } from 'vitest';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { managementMethods } from '#shared/api/methods/management.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';
import { validate } from '#shared/api/validate.ts';
import { collectParams } from '#shared/http/collect.ts';
import { httpEvent } from '../support/events.ts';
import { refusal } from '../support/refusal.ts';

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
