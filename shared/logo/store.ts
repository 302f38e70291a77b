import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AwsOptions, awsEndpoint, awsRegion, awsRequest } from '#shared/aws/request.ts';
import { optionalEnv, requireEnv } from '#shared/config.ts';

/** Where logos live: an S3 bucket in AWS, a directory on one machine. Keys are content hashes. */
export interface LogoStore {
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  url(key: string): string;
}

const joinUrl = (base: string, key: string) => `${base.replace(/\/+$/, '')}/${key}`;

/** The object's URL: virtual-hosted on S3 itself, path-style on a configured endpoint. */
function objectUrl(bucket: string, key: string, options: AwsOptions): string {
  const endpoint = awsEndpoint('s3', awsRegion(options));
  const path = key.split('/').map(encodeURIComponent).join('/');
  if (endpoint.configured) return `${endpoint.url}/${bucket}/${path}`;
  return `${endpoint.url.replace('://', `://${bucket}.`)}/${path}`;
}

/**
 * The bucket is private; readers reach it only through LOGO_BASE_URL (the CDN in front of it).
 * PutObject is one signed request: an S3 client would weigh on every cold start of the upload.
 */
export function s3LogoStore(bucket: string, baseUrl: string, options: AwsOptions = {}): LogoStore {
  return {
    async put(key, bytes, contentType) {
      await awsRequest(
        's3',
        {
          method: 'PUT',
          url: objectUrl(bucket, key, options),
          headers: {
            'content-type': contentType,
            // A key names one content forever, so caches may keep it forever.
            'cache-control': 'public, max-age=31536000, immutable',
          },
          body: bytes,
        },
        options,
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
  if (bucket) return s3LogoStore(bucket, baseUrl);
  return dirLogoStore(requireEnv('LOGO_DIR'), baseUrl);
}
