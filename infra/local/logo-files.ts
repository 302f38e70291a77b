import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { type LocalMount, sendJson } from '#infra/local/local-mount.ts';

/** Plays the logo bucket's public URL: files under LOGO_DIR at `/_local/logos/<key>`. */
export const LOGO_PREFIX = '/_local/logos';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/** Each segment is a plain name: no `..`, no hidden files, no separators smuggled in encoded. */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

function safeFile(dir: string, subpath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(subpath.replace(/^\/+/, ''));
  } catch {
    return undefined;
  }
  const segments = decoded.split('/');
  if (segments.length === 0 || !segments.every((segment) => SEGMENT.test(segment))) return undefined;
  const root = resolve(dir);
  const file = resolve(root, ...segments);
  return file.startsWith(root + sep) ? file : undefined;
}

export function logoFiles(dir: string): LocalMount {
  return {
    prefix: LOGO_PREFIX,
    async handle(req, res, subpath) {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(res, 405, { message: 'logos are read with GET' }, { allow: 'GET, HEAD' });
        return true;
      }
      const file = safeFile(dir, subpath);
      const info = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !info?.isFile()) return false;
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-cache',
      });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return true;
    },
  };
}
