import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * The floor the functions are compared with: a handler that holds only the DynamoDB client (not
 * the document client) and makes one read. Every function of the service needs at least this much.
 */
const client = new DynamoDBClient({});

export const handler = async (event: { body?: string }) => {
  const key = JSON.parse(event.body ?? '{}') as { pk?: string; sk?: string };
  const out = await client.send(
    new GetItemCommand({
      TableName: process.env.TABLE_NAME,
      Key: { pk: { S: key.pk ?? 'x' }, sk: { S: key.sk ?? 'x' } },
    }),
  );
  return { statusCode: 200, body: JSON.stringify({ success: true, data: out.Item ?? null }) };
};
