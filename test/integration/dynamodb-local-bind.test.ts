import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { dynamoEndpoint } from '../support/db.ts';

/**
 * DynamoDB Local holds the demo data and whatever a developer puts in it: it must answer on
 * loopback only, never on the machine's network addresses.
 */

const networkAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === 'IPv4')
    .map((address) => address!.address);

const connects = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

describe('DynamoDB Local', () => {
  const port = Number(new URL(dynamoEndpoint()).port);

  it('answers on loopback', async () => {
    expect(await connects('127.0.0.1', port)).toBe(true);
  });

  it.skipIf(networkAddresses().length === 0)("refuses connections on the machine's network addresses", async () => {
    for (const host of networkAddresses()) expect(await connects(host, port), host).toBe(false);
  });
});
