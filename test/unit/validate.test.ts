import { describe, expect, it } from 'vitest';
import { groupMethods } from '#shared/api/methods/groups.ts';
import { field, optional } from '#shared/api/schema.ts';
import { validate } from '#shared/api/validate.ts';
import { refusal } from '../support/refusal.ts';

describe('parameter validation', async () => {
  const create = groupMethods.group_create.params;

  it('reads an id list given as comma text, as a JSON array, or as repeated form keys', async () => {
    expect(validate(create, { user_list: '7,8,15' }).user_list).toEqual([7, 8, 15]);
    expect(validate(create, { user_list: [7, '8', 15] }).user_list).toEqual([7, 8, 15]);
    expect(validate(create, { user_list: ['7', '8'] }).user_list).toEqual([7, 8]);
    expect(validate(create, { user_list: ' 7 , 7 ,8,' }).user_list).toEqual([7, 8]);
  });

  it('refuses a malformed id list with the parameter’s own status', async () => {
    expect(await refusal(() => validate(create, { user_list: '7,x' }))).toMatchObject({ status: 151, http: 400 });
    expect(await refusal(() => validate(create, { user_list: '-3' }))).toMatchObject({ status: 151, http: 400 });
    expect(await refusal(() => validate(create, { user_list: '0' }))).toMatchObject({ status: 151 });
    expect(await refusal(() => validate(create, { user_list: ',' }))).toMatchObject({ status: 151 });
  });

  it('refuses more ids than one call takes with status 165', async () => {
    const ids = Array.from({ length: 96 }, (_, i) => i + 1).join(',');
    expect(await refusal(() => validate(create, { user_list: ids }))).toMatchObject({ status: 165, http: 400 });
  });

  it('refuses a missing required parameter with status 0 and names it', async () => {
    expect(await refusal(() => validate(create, {}))).toEqual({ status: 0, http: 400 });
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
    const schema = { price: field.decimal('price', 'BAD_PRICE') };
    expect(validate(schema, { price: '0.000000000000000001' }).price).toBe('0.000000000000000001');
    expect(validate(schema, { price: '12' }).price).toBe('12');
    for (const bad of ['-1', '1e5', 'NaN', 'Infinity', '.5', '1.', '0x10', '1,5']) {
      expect(await refusal(() => validate(schema, { price: bad }))).toMatchObject({ status: 55, http: 400 });
    }
  });

  it('treats an empty optional value as absent and an object where text belongs as invalid', async () => {
    const schema = { memo: optional(field.string('memo', { maxLength: 5, invalid: 'BAD_MEMO' })) };
    expect(validate(schema, { memo: '' })).toEqual({});
    expect(await refusal(() => validate(schema, { memo: { a: 1 } }))).toMatchObject({ status: 57 });
  });
});
