import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '#infra/constructs/im-function.ts';
import { OPENAPI_FILE } from '#shared/api/openapi/document.ts';

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrismProxy {
  readonly url: string;
  /** What Prism printed: its violations are logged there as well as answered. */
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Stoplight Prism's validating proxy in front of `upstream`, checking every request and reply
 * against the committed API document. With `--errors` a request the document does not allow is
 * answered 422 and a reply it does not allow 500, both as `application/problem+json`.
 */
export async function startPrismProxy(upstream: string): Promise<PrismProxy> {
  const port = await freePort();
  const bin = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'prism');
  const child: ChildProcess = spawn(
    bin,
    ['proxy', path.join(PROJECT_ROOT, OPENAPI_FILE), upstream, '--errors', '--host', '127.0.0.1', '--port', String(port)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCARF_ANALYTICS: 'false' } },
  );
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Prism did not start in 60 s:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Prism is listening')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Prism exited with ${code}:\n${output}`));
    });
  });
  await started;
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
