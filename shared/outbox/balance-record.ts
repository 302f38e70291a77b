import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { BalanceChange } from '#shared/holdings/recheck.ts';

type Image = Record<string, AttributeValue> | undefined;

const balanceOf = (image: Image) => (image?.balance?.N === undefined ? undefined : BigInt(image.balance.N));

/**
 * A stream record of a balance item: null when it is something else (a group event), undefined
 * when the balance did not move (nothing to re-check), else the user, the coin and the new balance.
 */
export function balanceChangeOf(record: DynamoDBRecord): BalanceChange | null | undefined {
  const image = record.dynamodb?.NewImage as Image;
  if (image?.kind?.S !== 'balance') return null;
  const balance = balanceOf(image) ?? 0n;
  if (balanceOf(record.dynamodb?.OldImage as Image) === balance) return undefined;
  return { userId: Number(image.user_id?.N), coinId: Number(image.coin_id?.N), balance };
}
