import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The floor the functions are compared with: a handler that holds only the DynamoDB document
 * client and makes one read. Every function of the service needs at least this much.
 */
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: { body?: string }) => {
  const key = JSON.parse(event.body ?? '{}') as { pk?: string; sk?: string };
  const out = await doc.send(
    new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: key.pk ?? 'x', sk: key.sk ?? 'x' } }),
  );
  return { statusCode: 200, body: JSON.stringify({ success: true, data: out.Item ?? null }) };
};
