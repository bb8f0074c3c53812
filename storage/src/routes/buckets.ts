import { AppError } from '@selfdb/common';
import type { FastifyInstance } from 'fastify';
import type { ObjectStore } from '../backends/types.ts';

const BucketParams = {
  type: 'object',
  properties: { bucket: { type: 'string', maxLength: 63 } },
  required: ['bucket'],
} as const;
const BucketBody = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 63 } },
  required: ['name'],
} as const;
const BucketResponse = {
  type: 'object',
  properties: { name: { type: 'string' } },
  required: ['name'],
} as const;

/** Buckets are directories under the root; creating and deleting them is idempotent. */
export async function bucketRoutes(app: FastifyInstance, { store }: { store: ObjectStore }) {
  app.post<{ Body: { name: string } }>(
    '/api/v1/buckets',
    { schema: { body: BucketBody, response: { 201: BucketResponse } } },
    async function createBucket(request, reply) {
      await store.createBucket(request.body.name);
      return reply.code(201).send({ name: request.body.name });
    },
  );

  app.get<{ Params: { bucket: string } }>(
    '/api/v1/buckets/:bucket',
    { schema: { params: BucketParams, response: { 200: BucketResponse } } },
    async function getBucket(request) {
      if (!(await store.bucketExists(request.params.bucket))) throw AppError.notFound('Bucket not found');
      return { name: request.params.bucket };
    },
  );

  app.delete<{ Params: { bucket: string } }>(
    '/api/v1/buckets/:bucket',
    { schema: { params: BucketParams } },
    async function deleteBucket(request, reply) {
      await store.deleteBucket(request.params.bucket);
      return reply.code(204).send();
    },
  );
}
