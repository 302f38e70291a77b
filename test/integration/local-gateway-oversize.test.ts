import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, DEFAULT_MAX_BODY_BYTES } from '../../infra/local/gateway.ts';

/** Bodies over the local gateway's limit, sent the way real clients send them: the client must read the 413. */

let server: Server;
let port: number;
let invoked = 0;

beforeAll(async () => {
  const gateway = createGateway({
    region: 'us-east-1',
    loadMethod: async () => async () => {
      invoked++;
      return { statusCode: 200, body: '{}' };
    },
  });
  server = createServer(gateway.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const FIVE_MB = 5 * 1024 * 1024;

/**
 * Sends headers declaring `declared` bytes, then the body in 64 KiB writes; resolves with the
 * status line, how much of the body went out, and whether the connection was reset under it.
 */
function upload(declared: number, sending: number) {
  return new Promise<{ statusLine: string; body: string; sent: number; error: string | undefined }>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let error: string | undefined;
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      resolve({ statusLine: head.split('\r\n')[0] ?? '', body, sent, error });
    });
    socket.write(
      `POST /im/group_set_memo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x78);
    const pump = () => {
      while (sent < sending && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    // The reply to the declared length comes first; the body follows it, as a slow client's would.
    setTimeout(pump, 50);
  });
}

describe('the local gateway and bodies over its limit', () => {
  it('answers fetch uploads of 5 MB (JSON and form) with the 413 envelope, never EPIPE', async () => {
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'application/json']) {
      const res = await fetch(`http://127.0.0.1:${port}/im/group_set_memo`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'x'.repeat(FIVE_MB),
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ success: false, status: 164, data: null });
    }
    expect(invoked).toBe(0);
  });

  it('reads and drops the rest of a refused body, so a client still sending it is not reset', async () => {
    const result = await upload(FIVE_MB, FIVE_MB);
    expect(result.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expect(JSON.parse(result.body)).toMatchObject({ status: 164 });
    expect(result.sent).toBeGreaterThanOrEqual(FIVE_MB);
    expect(result.error).toBeUndefined();
  });

  it('cuts the connection once a refused body runs far past the limit', async () => {
    const result = await upload(50 * DEFAULT_MAX_BODY_BYTES, 8 * DEFAULT_MAX_BODY_BYTES);
    expect(result.statusLine).toBe('HTTP/1.1 413 Payload Too Large');
    expect(result.sent).toBeLessThan(8 * DEFAULT_MAX_BODY_BYTES);
  });

  it('refuses a chunked body without a length as soon as it passes the limit', async () => {
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x78));
        controller.close();
      },
    });
    const res = await fetch(`http://127.0.0.1:${port}/im/group_set_memo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(invoked).toBe(0);
  });
});
