import { createServer } from 'node:http';
import { LOCAL_RONGCLOUD } from '../../infra/local/local-env.ts';
import { createRongCloudStandIn, type RongCloudStandIn } from '../../infra/local/rongcloud-standin.ts';

/**
 * The runtime's RongCloud stand-in, served by the soak itself on a loopback port: it outlives
 * every runtime and poller the soak kills, so what it accepted is the whole record of what went
 * out, and the soak switches its failures directly.
 */
export interface RongCloudServer {
  /** The server API base the runtime is pointed at. */
  readonly apiUrl: string;
  readonly standIn: RongCloudStandIn;
  close(): Promise<void>;
}

export async function startRongCloudServer(): Promise<RongCloudServer> {
  // Every call of the run is kept: the check compares all of them with the committed events.
  const standIn = createRongCloudStandIn({ ...LOCAL_RONGCLOUD, maxRecorded: 10_000_000 });
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://rongcloud').pathname;
    standIn.handle(req, res, path).then(
      (handled) => {
        if (!handled && !res.headersSent) res.writeHead(404).end();
      },
      () => {
        if (!res.headersSent) res.writeHead(500).end();
      },
    );
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    standIn,
    close: () =>
      new Promise((resolve) => {
        standIn.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
