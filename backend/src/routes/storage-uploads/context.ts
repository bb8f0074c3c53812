import type { ResumableService } from '../../modules/storage/resumable.ts';
import type { RouteContext, RouteModule } from '../context.ts';

/** What `/storage/uploads` (tus resumable uploads) gets: the resumable-upload service. */
export interface StorageUploadsContext extends RouteContext {
  resumable: ResumableService;
}

export type StorageUploadsRoute = RouteModule<StorageUploadsContext>;
