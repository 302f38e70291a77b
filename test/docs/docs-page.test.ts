import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#shared/api/openapi/document.ts';
import { createGateway } from '../../infra/local/gateway.ts';

/** The documentation the local gateway serves, over HTTP, with no network beyond it. */

let server: Server;
let base: string;

beforeAll(async () => {
  const gateway = createGateway({ region: 'us-east-1' });
  server = createServer((req, res) => gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Every URL the page loads: scripts, stylesheets, icons. */
const assetsOf = (html: string) =>
  [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);

describe('the documentation on the local runtime', () => {
  it('serves the OpenAPI document at /openapi.json', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('serves an HTML page at /docs whose every asset is served by the runtime itself', async () => {
    const res = await fetch(`${base}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const assets = assetsOf(html);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    for (const asset of assets) {
      expect(asset, asset).toMatch(/^\/docs\//);
      const served = await fetch(`${base}${asset}`);
      expect(served.status, asset).toBe(200);
      expect((await served.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
  });

  it('points the page at the local document and keeps Swagger UI’s online validator off', async () => {
    const init = await (await fetch(`${base}/docs/init.js`)).text();
    expect(init).toContain("url: '/openapi.json'");
    expect(init).toContain('validatorUrl: null');
  });

  it('serves nothing else of the renderer’s package', async () => {
    for (const probe of ['/docs/package.json', '/docs/../package.json', '/docs/index.html', '/docs/swagger-ui.js.map']) {
      expect((await fetch(`${base}${probe}`)).status, probe).toBe(404);
    }
  });
});
