import { createHash } from 'node:crypto';
import { BAD_BASE64, BAD_IMAGE, fail } from '#shared/errors.ts';

export const MAX_LOGO_BYTES = 2 * 1024 * 1024;

export type ImageType = 'png' | 'jpeg';

export interface Logo {
  readonly bytes: Buffer;
  readonly type: ImageType;
  readonly contentType: string;
  /** Content-addressed: the same image always has the same key, so a retried upload is a no-op. */
  readonly key: string;
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const DATA_URL = /^data:[\w/+.-]*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Standard or URL-safe base64, padded or not, with any line breaks; a `data:` prefix is allowed. */
function decodeBase64(text: string): Buffer {
  const body = text.trim().replace(DATA_URL, '').replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const unpadded = body.replace(/=+$/, '');
  if (!body || !BASE64.test(body) || unpadded.length % 4 === 1 || (body.length !== unpadded.length && body.length % 4 !== 0)) {
    return fail(BAD_BASE64, 'logo is not valid base64');
  }
  return Buffer.from(unpadded, 'base64');
}

/** What the bytes are, by their signature; a client's claim (data URL type, file name) is ignored. */
export function sniff(bytes: Buffer): ImageType | undefined {
  if (bytes.subarray(0, PNG.length).equals(PNG)) return 'png';
  if (bytes.subarray(0, JPEG.length).equals(JPEG)) return 'jpeg';
  return undefined;
}

/** Decodes and checks a logo: base64 (17), at most 2 MB decoded, PNG or JPEG by content (18). */
export function decodeLogo(text: string): Logo {
  const bytes = decodeBase64(text);
  if (bytes.length > MAX_LOGO_BYTES) fail(BAD_IMAGE, 'logo is larger than 2 MB');
  const type = sniff(bytes) ?? fail(BAD_IMAGE);
  const hash = createHash('sha256').update(bytes).digest('hex');
  return {
    bytes,
    type,
    contentType: type === 'png' ? 'image/png' : 'image/jpeg',
    key: `${hash}.${type === 'png' ? 'png' : 'jpg'}`,
  };
}
