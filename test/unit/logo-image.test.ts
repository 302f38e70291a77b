import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeLogo, MAX_LOGO_BYTES } from '#shared/logo/image.ts';
import { dirLogoStore, logoStoreFromEnv, s3LogoStore } from '#shared/logo/store.ts';
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
  const s3 = mockClient(S3Client);
  const saved = { ...process.env };
  afterEach(() => {
    s3.reset();
    process.env = { ...saved };
  });

  it('puts an object into the private bucket and answers the URL under LOGO_BASE_URL', async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = s3LogoStore(new S3Client({ region: 'us-east-1' }), 'logos-bucket', 'https://cdn.example/');
    await store.put('abc.png', png, 'image/png');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'logos-bucket',
      Key: 'abc.png',
      ContentType: 'image/png',
    });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).not.toHaveProperty('ACL');
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
    s3.on(PutObjectCommand).resolves({});
    process.env.LOGO_BASE_URL = 'https://cdn.example';
    process.env.LOGO_BUCKET = 'b';
    await logoStoreFromEnv().put('x.png', png, 'image/png');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
    delete process.env.LOGO_BUCKET;
    expect(() => logoStoreFromEnv()).toThrow(/LOGO_DIR/);
    process.env.LOGO_DIR = tmpdir();
    expect(logoStoreFromEnv().url('x.png')).toBe('https://cdn.example/x.png');
    delete process.env.LOGO_BASE_URL;
    expect(() => logoStoreFromEnv()).toThrow(/LOGO_BASE_URL/);
  });
});
