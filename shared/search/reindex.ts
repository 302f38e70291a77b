import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { Db } from '#shared/db/client.ts';
import { GROUP_SK } from '#shared/entities/group.ts';
import { syncPostings } from '#shared/search/postings.ts';

/** Groups synced at once. */
const PARALLEL = 4;

/**
 * Brings every group's postings and counts in step with its group item, as the stream would:
 * the operator's way to index groups written before the ranked postings (their old postings are
 * taken over and counted), or to repair any drift. Safe to run while the service runs, and again.
 */
export async function reindexSearch(db: Db, onProgress: (groups: number) => void = () => {}): Promise<number> {
  let start: Record<string, unknown> | undefined;
  let groups = 0;
  do {
    const page: ScanCommandOutput = await db.doc.send(
      new ScanCommand({
        TableName: db.table,
        FilterExpression: 'sk = :meta',
        ExpressionAttributeValues: { ':meta': GROUP_SK },
        ProjectionExpression: 'group_id',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    const ids = (page.Items ?? []).map((item) => Number(item.group_id));
    for (let i = 0; i < ids.length; i += PARALLEL) {
      await Promise.all(ids.slice(i, i + PARALLEL).map((id) => syncPostings(db, id, [])));
    }
    groups += ids.length;
    if (ids.length > 0) onProgress(groups);
    start = page.LastEvaluatedKey;
  } while (start);
  return groups;
}
