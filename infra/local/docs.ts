import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { openApiDocument } from '#shared/api/openapi/document.ts';

/**
 * The API's documentation on the local runtime: the OpenAPI document at `/openapi.json` and a
 * Swagger UI page reading it at `/docs`. Every asset comes from the installed swagger-ui-dist
 * package, so the page works without the internet; Swagger UI's online spec validator is off
 * for the same reason.
 */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const UI_DIR = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The only files served from the package: what the page loads, nothing else of node_modules. */
const UI_FILES: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INIT_SCRIPT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

/** Denser than Swagger UI's defaults, so the whole list of methods reads at a glance. */
const PAGE_CSS = `.swagger-ui .info { margin: 24px 0 12px; }
.swagger-ui .opblock-tag { padding: 6px 10px 6px 0; }
.swagger-ui .opblock { margin: 0 0 4px; }
.swagger-ui .opblock .opblock-summary { padding: 2px 6px; }
.swagger-ui .opblock .opblock-summary-method { padding: 4px 0; }
`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>IM group service API</title>
    <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
    <link rel="stylesheet" href="${DOCS_PATH}/page.css">
    <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_PATH}/init.js"></script>
  </body>
</html>
`;

let documentText: string | undefined;
const openApiText = () => {
  documentText ??= JSON.stringify(openApiDocument());
  return documentText;
};

function send(req: IncomingMessage, res: ServerResponse, type: string, body: string | Buffer): void {
  res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Answers the documentation paths; false for any other path, which the gateway routes on. */
export async function serveDocs(req: IncomingMessage, res: ServerResponse, urlPath: string): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (urlPath === OPENAPI_PATH) {
    send(req, res, 'application/json; charset=utf-8', openApiText());
    return true;
  }
  if (urlPath === DOCS_PATH || urlPath === `${DOCS_PATH}/`) {
    send(req, res, 'text/html; charset=utf-8', PAGE);
    return true;
  }
  if (!urlPath.startsWith(`${DOCS_PATH}/`)) return false;
  const file = urlPath.slice(DOCS_PATH.length + 1);
  if (file === 'init.js' || file === 'page.css') {
    send(
      req,
      res,
      file === 'init.js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      file === 'init.js' ? INIT_SCRIPT : PAGE_CSS,
    );
    return true;
  }
  const type = Object.hasOwn(UI_FILES, file) ? UI_FILES[file] : undefined;
  if (type === undefined) return false;
  send(req, res, type, await readFile(path.join(UI_DIR, file)));
  return true;
}
