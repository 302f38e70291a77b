import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchGet } from '#shared/db/batch.ts';
import type { Db } from '#shared/db/client.ts';

/** A user's partition (`U#<uid>`): the profile, the wallet, balances, ledger and applied deposits. */
export const userPk = (userId: number) => `U#${userId}`;

/** A user of the app's account system, as this service knows it: it exists, with a nickname. */
export const userKey = (userId: number) => ({ pk: userPk(userId), sk: 'P' });

export const isUserItem = (item: Record<string, unknown>): boolean => item.kind === 'user';

export async function putUser(db: Db, userId: number, nickname = `user${userId}`): Promise<void> {
  await db.doc.send(
    new PutCommand({
      TableName: db.table,
      Item: { ...userKey(userId), kind: 'user', user_id: userId, nickname, created_at: Math.floor(Date.now() / 1000) },
    }),
  );
}

/** The ids among `userIds` that are not known users, in one parallel BatchGet. */
export async function unknownUsers(db: Db, userIds: readonly number[]): Promise<number[]> {
  const items = await batchGet(db, userIds.map(userKey), { projection: 'user_id' });
  const found = new Set(items.map((item) => Number(item.user_id)));
  return userIds.filter((id) => !found.has(id));
}
