/**
 * The one table definition. The CDK stack, the local bootstrap and the tests all build the table
 * from this object, so a key, index or stream setting is never written twice.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  stream: 'NEW_AND_OLD_IMAGES',
  indexes: {
    /** A user's memberships: member items carry `gsi1pk = U#<uid>`, `gsi1sk = G#<gid>`. */
    byUser: { name: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', sortKeyType: 'S' },
    /**
     * The hot ranking: a sparse index holding only live groups; `hotpk` spreads them over a few
     * shards so that no single partition takes every join, `hotsk` is the numeric score.
     */
    hot: { name: 'hot', partitionKey: 'hotpk', sortKey: 'hotsk', sortKeyType: 'N' },
    /**
     * The search postings in ranking order: a sparse index of the items carrying `searchsk` (the
     * postings, `T#<n-gram>`), sorted by member count, then group id. Postings hold little beyond
     * their keys, so projecting them whole costs next to nothing.
     */
    search: { name: 'search', partitionKey: 'pk', sortKey: 'searchsk', sortKeyType: 'S' },
    /**
     * What falls due at a time: subscription memberships under `SUB#<gid>` sorted by their next
     * action (the expire-soon notice, then the lapse), the groups that ever sold one under a few
     * `SUBS#<n>` shards, which the expiry sweep walks, and the holdings whose balance fell short
     * under a few grace shards, by when their grace ends. Sparse: nothing else carries `duepk`.
     * One index for all of them, as CloudFormation adds one global secondary index per update.
     */
    due: { name: 'due', partitionKey: 'duepk', sortKey: 'duesk', sortKeyType: 'N' },
  },
} as const;

/** How many partitions the hot ranking is spread over; readers query each and merge. */
export const HOT_SHARDS = 4;

/** How many partitions the groups with subscriptions are spread over in the `due` index. */
export const SUBS_SHARDS = 4;

export type IndexDefinition = (typeof TABLE.indexes)[keyof typeof TABLE.indexes];

/** The CreateTable input the local runtime and the tests use (on-demand, stream on). */
export function createTableInput(tableName: string) {
  const indexes = Object.values(TABLE.indexes) as IndexDefinition[];
  const attributes = new Map<string, 'S' | 'N'>([
    [TABLE.partitionKey, 'S'],
    [TABLE.sortKey, 'S'],
  ]);
  for (const index of indexes) {
    attributes.set(index.partitionKey, 'S');
    attributes.set(index.sortKey, index.sortKeyType);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.stream },
  };
}
