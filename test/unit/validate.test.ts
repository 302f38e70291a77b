import { describe, expect, it } from 'vitest';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { walletMethods } from '#shared/api/methods/wallet.ts';
import { field, optional } from '#shared/api/schema.ts';
import { validate } from '#shared/api/validate.ts';
import { BAD_COIN_ID, BAD_GROUP_NAME, BAD_MEMO, BAD_PRICE } from '#shared/errors.ts';
import { refusal } from '../support/refusal.ts';

describe('parameter validation', async () => {
  const create = groupMethods.group_create.params;

  it('reads an id list given as comma text, as a JSON array, or as repeated form keys', async () => {
    expect(validate(create, { user_list: '7,8,15' }).user_list).toEqual([7, 8, 15]);
    expect(validate(create, { user_list: [7, '8', 15] }).user_list).toEqual([7, 8, 15]);
    expect(validate(create, { user_list: ['7', '8'] }).user_list).toEqual([7, 8]);
    expect(validate(create, { user_list: ' 7 , 7 ,8' }).user_list).toEqual([7, 8]);
  });

  it('refuses a malformed id list with the parameter’s own status', async () => {
    expect(await refusal(() => validate(create, { user_list: '7,x' }))).toMatchObject({ status: 151, http: 400 });
    expect(await refusal(() => validate(create, { user_list: '-3' }))).toMatchObject({ status: 151, http: 400 });
    expect(await refusal(() => validate(create, { user_list: '0' }))).toMatchObject({ status: 151 });
    expect(await refusal(() => validate(create, { user_list: ',' }))).toMatchObject({ status: 151 });
    for (const bad of ['2,,3', '7,8,', ',7', ' ', ['7', ''], [], '+7', '007']) {
      expect(await refusal(() => validate(create, { user_list: bad })), JSON.stringify(bad)).toMatchObject({ status: 151 });
    }
  });

  it('refuses more ids than one call takes with status 165', async () => {
    const ids = Array.from({ length: 96 }, (_, i) => i + 1).join(',');
    expect(await refusal(() => validate(create, { user_list: ids }))).toMatchObject({ status: 165, http: 400 });
  });

  it('refuses a missing required parameter with status 0 and names it', async () => {
    expect(await refusal(() => validate(create, {}))).toEqual({ status: 0, http: 400 });
  });

  it('needs one parameter of each at-least-one list, as group_join needs a group id or an invite code', async () => {
    const join = walletMethods.group_join;
    const rule = join.atLeastOne;
    expect(validate(join.params, { group_id: '7' }, rule)).toEqual({ group_id: 7 });
    expect(validate(join.params, { invite_code: 'abc' }, rule)).toEqual({ invite_code: 'abc' });
    for (const none of [{}, { wallet_pwd: '123456' }, { group_id: null, invite_code: '' }]) {
      expect(await refusal(() => validate(join.params, none, rule)), JSON.stringify(none)).toEqual({ status: 0, http: 400 });
    }
    // A malformed value is refused for itself first.
    expect(await refusal(() => validate(join.params, { group_id: 'x' }, rule))).toMatchObject({ status: 166 });
  });

  it('counts Chinese characters as characters for length limits', async () => {
    expect(validate(create, { user_list: '2', group_name: '群'.repeat(255) }).group_name).toHaveLength(255);
    expect(await refusal(() => validate(create, { user_list: '2', group_name: '群'.repeat(256) }))).toMatchObject({ status: 51 });
    expect(await refusal(() => validate(create, { user_list: '2', memo: 'm'.repeat(256) }))).toMatchObject({ status: 57 });
  });

  it('coerces numeric strings and applies defaults', async () => {
    const list = groupMethods.group_user_list.params;
    expect(validate(list, { group_id: '42' })).toEqual({ group_id: 42, limit: 50 });
    expect(validate(list, { group_id: 42, limit: '10' })).toEqual({ group_id: 42, limit: 10 });
    expect(await refusal(() => validate(list, { group_id: '4.2' }))).toMatchObject({ status: 166, http: 400 });
    expect(await refusal(() => validate(list, { group_id: '42', limit: '0' }))).toMatchObject({ status: 166 });
    expect(await refusal(() => validate(list, { group_id: '42', limit: '201' }))).toMatchObject({ status: 166 });
  });

  it('keeps decimals as exact text and refuses signs, exponents and non-numbers', async () => {
    const schema = { price: field.decimal('price', BAD_PRICE) };
    expect(validate(schema, { price: '0.000000000000000001' }).price).toBe('0.000000000000000001');
    expect(validate(schema, { price: '12' }).price).toBe('12');
    for (const bad of ['-1', '1e5', 'NaN', 'Infinity', '.5', '1.', '0x10', '1,5']) {
      expect(await refusal(() => validate(schema, { price: bad }))).toMatchObject({ status: 55, http: 400 });
    }
  });

  it('treats an empty optional value as absent and an object where text belongs as invalid', async () => {
    const schema = { memo: optional(field.string('memo', { maxLength: 5, invalid: BAD_MEMO })) };
    expect(validate(schema, { memo: '' })).toEqual({});
    expect(await refusal(() => validate(schema, { memo: { a: 1 } }))).toMatchObject({ status: 57 });
  });

  it('accepts the numbers apps send and refuses signs, leading zeros and empty strings with the field’s status', async () => {
    const list = groupMethods.group_user_list.params;
    for (const good of [7, '7', ' 7 ']) expect(validate(list, { group_id: good }).group_id).toBe(7);
    for (const bad of ['+7', '-7', '007', '', '  ', '7.0', '0']) {
      expect(await refusal(() => validate(list, { group_id: bad })), JSON.stringify(bad)).toMatchObject({
        status: 166,
        http: 400,
      });
    }
    expect(await refusal(() => validate(list, { group_id: 7, limit: '+10' }))).toMatchObject({ status: 166 });
    expect(await refusal(() => validate(list, { group_id: 7, limit: '010' }))).toMatchObject({ status: 166 });
    expect(validate(list, { group_id: 7, limit: '10' }).limit).toBe(10);
    const schema = { price: field.decimal('price', BAD_PRICE), coin_id: optional(field.id('coin', BAD_COIN_ID)) };
    for (const good of ['0', '0.5', '10.25', ' 3 ']) expect(validate(schema, { price: good }).price).toBe(good.trim());
    for (const bad of ['+1', '00001', '01.5', '']) {
      expect(await refusal(() => validate(schema, { price: bad })), bad).toMatchObject({ status: 55, http: 400 });
    }
    expect(await refusal(() => validate(schema, { price: '1', coin_id: '' }))).toMatchObject({ status: 56, http: 400 });
    expect(validate(schema, { price: '1', coin_id: null })).toEqual({ price: '1' });
  });

  it('refuses control characters and lone surrogates in text with the field’s status; a memo keeps its lines', async () => {
    const name = { group_name: field.string('name', { maxLength: 255, invalid: BAD_GROUP_NAME }) };
    const memo = { memo: field.string('memo', { maxLength: 255, invalid: BAD_MEMO, multiline: true }) };
    for (const bad of ['a\u0000b', 'tab\there', 'line\nbreak', 'bell\u0007', 'del\u007f', 'lone \ud800', 'lone \udc00 low']) {
      expect(await refusal(() => validate(name, { group_name: bad })), JSON.stringify(bad)).toMatchObject({
        status: 51,
        http: 400,
      });
    }
    expect(validate(name, { group_name: '交易群 🚀' }).group_name).toBe('交易群 🚀');
    expect(validate(memo, { memo: 'first line\nsecond line\r\nthird' }).memo).toBe('first line\nsecond line\r\nthird');
    for (const bad of ['nul\u0000', 'tab\t', 'esc\u001b[31m', 'half \ud83d']) {
      expect(await refusal(() => validate(memo, { memo: bad })), JSON.stringify(bad)).toMatchObject({ status: 57, http: 400 });
    }
  });
});
