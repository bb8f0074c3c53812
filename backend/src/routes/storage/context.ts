import type { BucketsService } from '../../modules/storage/buckets.service.ts';
import type { DownloadsService } from '../../modules/storage/downloads.service.ts';
import type { FilesService } from '../../modules/storage/files.service.ts';
import type { UploadsService } from '../../modules/storage/uploads.service.ts';
import type { RouteContext, RouteModule } from '../context.ts';

export { OPTIONAL_BEARER } from '../context.ts';

/** What `/storage` routes get: the bucket, file, upload and download services. */
export interface StorageContext extends RouteContext {
  buckets: BucketsService;
  files: FilesService;
  uploads: UploadsService;
  downloads: DownloadsService;
}

export type StorageRoute = RouteModule<StorageContext>;
