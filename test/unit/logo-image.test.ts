import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeLogo, MAX_LOGO_BYTES } from '#shared/logo/image.ts';
import { dirLogoStore, logoStoreFromEnv, s3LogoStore } from '#shared/logo/store.ts';
import { recordingFetch, signatureHolds, TEST_CREDENTIALS } from '../support/aws-fetch.ts';
import { refusal } from '../support/refusal.ts';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = Buffer.concat([PNG_MAGIC, Buffer.from('IHDR...')]);
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF')]);

describe('decoding a logo', () => {
  it('recognises PNG and JPEG by their bytes and names them by content hash', () => {
    const hash = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    expect(decodeLogo(png.toString('base64'))).toMatchObject({ type: 'png', contentType: 'image/png', key: `${hash(png)}.png` });
    expect(decodeLogo(jpeg.toString('base64'))).toMatchObject({
      type: 'jpeg',
      contentType: 'image/jpeg',
      key: `${hash(jpeg)}.jpg`,
    });
  });

  it('accepts a data URL prefix, line breaks, URL-safe letters and missing padding', () => {
    const text = png.toString('base64');
    expect(decodeLogo(`data:image/png;base64,${text}`).bytes).toEqual(png);
    expect(decodeLogo(`${text.slice(0, 8)}\n${text.slice(8)}`).bytes).toEqual(png);
    expect(decodeLogo(png.toString('base64url')).bytes).toEqual(png);
  });

  it('refuses text that is not base64 with 17', async () => {
    for (const bad of ['@@@@', 'abc=d', 'a', 'ab=c', '====', 'data:image/png;base64,']) {
      expect(await refusal(() => decodeLogo(bad)), bad).toEqual({ status: 17, http: 400 });
    }
  });

  it('refuses other formats, whatever the claim, and images over 2 MB with 18', async () => {
    const gif = Buffer.from('GIF89a.....').toString('base64');
    expect(await refusal(() => decodeLogo(`data:image/png;base64,${gif}`))).toEqual({ status: 18, http: 400 });
    expect(await refusal(() => decodeLogo(Buffer.from('<svg/>').toString('base64')))).toEqual({ status: 18, http: 400 });
    const big = Buffer.concat([png, Buffer.alloc(MAX_LOGO_BYTES)]);
    expect(await refusal(() => decodeLogo(big.toString('base64')))).toEqual({ status: 18, http: 400 });
    const fits = Buffer.concat([png, Buffer.alloc(MAX_LOGO_BYTES - png.length)]);
    expect(decodeLogo(fits.toString('base64')).bytes.length).toBe(MAX_LOGO_BYTES);
  });
});

describe('logo stores', () => {
  /** S3 on the other side of `fetch`: PutObject answers 200 with no body. */
  let s3 = recordingFetch(() => new Response(null, { status: 200 }));
  const putObjectCalls = () => s3.sent.filter((request) => request.method === 'PUT');
  const saved = { ...process.env };
  beforeEach(() => {
    s3 = recordingFetch(() => new Response(null, { status: 200 }));
    vi.stubGlobal('fetch', s3.fetch);
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    process.env = { ...saved };
  });

  it('puts an object into the private bucket and answers the URL under LOGO_BASE_URL', async () => {
    const store = s3LogoStore('logos-bucket', 'https://cdn.example/', { region: 'us-east-1' });
    await store.put('abc.png', png, 'image/png');
    // Bucket and key: a virtual-hosted PUT of the object.
    expect(putObjectCalls()[0]!.url.href).toBe('https://logos-bucket.s3.us-east-1.amazonaws.com/abc.png');
    expect(putObjectCalls()[0]!.headers).toMatchObject({
      'content-type': 'image/png',
      'cache-control': 'public, max-age=31536000, immutable',
    });
    expect(putObjectCalls()[0]!.body).toEqual(png);
    expect(signatureHolds(putObjectCalls()[0]!, TEST_CREDENTIALS.secretAccessKey, { s3: true })).toBe(true);
    expect(putObjectCalls()[0]!.headers).not.toHaveProperty('x-amz-acl');
    expect(store.url('abc.png')).toBe('https://cdn.example/abc.png');
  });

  it('writes a file under the directory, once per content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'logo-unit-'));
    try {
      const store = dirLogoStore(join(dir, 'nested'), 'http://127.0.0.1:3000/_local/logos');
      await store.put('k.png', png, 'image/png');
      await store.put('k.png', png, 'image/png');
      expect(await readFile(join(dir, 'nested', 'k.png'))).toEqual(png);
      expect(store.url('k.png')).toBe('http://127.0.0.1:3000/_local/logos/k.png');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is chosen from the environment: the bucket when set, else the directory, and fails without a base URL', async () => {
    process.env.LOGO_BASE_URL = 'https://cdn.example';
    process.env.LOGO_BUCKET = 'b';
    await logoStoreFromEnv().put('x.png', png, 'image/png');
    expect(putObjectCalls()).toHaveLength(1);
    delete process.env.LOGO_BUCKET;
    expect(() => logoStoreFromEnv()).toThrow(/LOGO_DIR/);
    process.env.LOGO_DIR = tmpdir();
    expect(logoStoreFromEnv().url('x.png')).toBe('https://cdn.example/x.png');
    delete process.env.LOGO_BASE_URL;
    expect(() => logoStoreFromEnv()).toThrow(/LOGO_BASE_URL/);
  });
});
