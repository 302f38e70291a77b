import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { optionalEnv, requireEnv } from '#shared/config.ts';

/** Where logos live: an S3 bucket in AWS, a directory on one machine. Keys are content hashes. */
export interface LogoStore {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  url(key: string): string;
}

const joinUrl = (base: string, key: string) => `${base.replace(/\/+$/, '')}/${key}`;

/** The bucket is private; readers reach it only through LOGO_BASE_URL (the CDN in front of it). */
export function s3LogoStore(client: S3Client, bucket: string, baseUrl: string): LogoStore {
  return {
    async put(key, bytes, contentType) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          // A key names one content forever, so caches may keep it forever.
          CacheControl: 'public, max-age=31536000, immutable',
        }),
      );
    },
    url: (key) => joinUrl(baseUrl, key),
  };
}

/** Files under `dir`, served by the local runtime at `baseUrl/<key>`. */
export function dirLogoStore(dir: string, baseUrl: string): LogoStore {
  return {
    async put(key, bytes) {
      const file = join(dir, key);
      const exists = await stat(file).then(
        (info) => info.isFile(),
        () => false,
      );
      if (exists) return;
      await mkdir(dir, { recursive: true });
      // Written aside and renamed, so a reader never sees half a file.
      const partial = `${file}.${process.pid}.${Date.now()}.part`;
      await writeFile(partial, bytes);
      await rename(partial, file);
    },
    url: (key) => joinUrl(baseUrl, key),
  };
}

/** Chosen once per container: LOGO_BUCKET means S3, otherwise LOGO_DIR; LOGO_BASE_URL always. */
export function logoStoreFromEnv(): LogoStore {
  const baseUrl = requireEnv('LOGO_BASE_URL');
  const bucket = optionalEnv('LOGO_BUCKET');
  if (bucket) return s3LogoStore(new S3Client({ region: optionalEnv('AWS_REGION') }), bucket, baseUrl);
  return dirLogoStore(requireEnv('LOGO_DIR'), baseUrl);
}
