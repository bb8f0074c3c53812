import type { FastifyInstance } from 'fastify';
import type { BucketsService } from '../../modules/storage/buckets.service.ts';
import type { DownloadsService } from '../../modules/storage/downloads.service.ts';
import type { FilesService } from '../../modules/storage/files.service.ts';
import type { ResumableUploads } from '../../modules/storage/resumable.ts';
import type { UploadsService } from '../../modules/storage/uploads.service.ts';
import type { RouteContext } from '../context.ts';

export { OPTIONAL_BEARER } from '../context.ts';

/** What storage route files get: the shared context plus the storage services built in index.ts. */
export interface StorageContext extends RouteContext {
  buckets: BucketsService;
  files: FilesService;
  uploads: UploadsService;
  downloads: DownloadsService;
  resumable: ResumableUploads;
}

export type StorageRoute = (app: FastifyInstance, ctx: StorageContext) => void;
