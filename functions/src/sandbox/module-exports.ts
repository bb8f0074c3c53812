import { type FunctionTrigger, isPlainIdentifier, type RuntimeDeployResult } from '@selfdb/common';
import type { RawExports } from './sandbox.ts';

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const OPERATIONS = new Set(['INSERT', 'UPDATE', 'DELETE']);
/** A cron field: digits, names (JAN, MON), `*`, `?`, ranges, lists and steps. */
const CRON_FIELD = /^[A-Za-z0-9*?,/-]+$/;
const CHANNEL_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,62}$/;

export class InvalidExports extends Error {}

function fail(message: string): never {
  throw new InvalidExports(message);
}

function optionalString(value: unknown, where: string, max: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    fail(`${where} must be a string of 1 to ${max} characters`);
  }
  return value;
}

function trigger(value: unknown, index: number): FunctionTrigger {
  const where = `triggers[${index}]`;
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`${where} must be an object`);
  const t = value as Record<string, unknown>;
  switch (t.type) {
    case 'http': {
      if (t.method === undefined || t.method === null) return { type: 'http' };
      const methods = Array.isArray(t.method) ? t.method : [t.method];
      if (methods.length === 0) fail(`${where}.method must name at least one HTTP method`);
      const upper = methods.map((m) => {
        if (typeof m !== 'string' || !HTTP_METHODS.has(m.toUpperCase())) {
          fail(`${where}.method: ${JSON.stringify(m)} is not one of ${[...HTTP_METHODS].join(', ')}`);
        }
        return m.toUpperCase();
      });
      return { type: 'http', method: Array.isArray(t.method) ? upper : upper[0] };
    }
    case 'schedule': {
      if (typeof t.cron !== 'string') fail(`${where}.cron must be a cron expression (five fields)`);
      const fields = t.cron.trim().split(/\s+/);
      if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
        fail(`${where}.cron: "${t.cron.slice(0, 100)}" is not a five-field cron expression`);
      }
      const name = optionalString(t.name, `${where}.name`, 255);
      return { type: 'schedule', cron: fields.join(' '), ...(name !== undefined && { name }) };
    }
    case 'database': {
      if (typeof t.table !== 'string' || !isPlainIdentifier(t.table))
        fail(`${where}.table must be a table name`);
      let operations: ('INSERT' | 'UPDATE' | 'DELETE')[] | undefined;
      if (t.operations !== undefined && t.operations !== null) {
        if (!Array.isArray(t.operations) || t.operations.length === 0) {
          fail(`${where}.operations must be a non-empty list of INSERT, UPDATE, DELETE`);
        }
        operations = t.operations.map((op) => {
          if (typeof op !== 'string' || !OPERATIONS.has(op.toUpperCase())) {
            fail(`${where}.operations: ${JSON.stringify(op)} is not INSERT, UPDATE or DELETE`);
          }
          return op.toUpperCase() as 'INSERT' | 'UPDATE' | 'DELETE';
        });
        operations = [...new Set(operations)];
      }
      if (t.channel !== undefined && t.channel !== null) {
        if (typeof t.channel !== 'string' || !CHANNEL_NAME.test(t.channel))
          fail(`${where}.channel must be a channel name`);
      }
      return {
        type: 'database',
        table: t.table,
        ...(operations && { operations }),
        ...(typeof t.channel === 'string' && { channel: t.channel }),
      };
    }
    case 'event': {
      if (typeof t.event !== 'string' || t.event.length === 0 || t.event.length > 255) {
        fail(`${where}.event must be an event name of 1 to 255 characters`);
      }
      return { type: 'event', event: t.event };
    }
    case 'webhook':
      return { type: 'webhook' };
    case 'once':
      return { type: 'once' };
    default:
      return fail(
        `${where}.type must be one of http, schedule, database, event, webhook, once (got ${JSON.stringify(t.type)})`,
      );
  }
}

/**
 * What a loaded module declares, validated as 0.0.5's loader reads it: a default export function (required),
 * `triggers` (default [{type:'http'}]), `description`, `runOnce`. Throws InvalidExports with a clear message.
 */
export function validateExports(raw: RawExports): Omit<RuntimeDeployResult, 'name' | 'version'> {
  if (!raw.hasDefault) {
    fail(
      raw.defaultType === 'undefined'
        ? 'The module has no default export: write `export default async function (request, context) { … }`'
        : `The default export must be a function (it is a ${raw.defaultType})`,
    );
  }
  let triggers: FunctionTrigger[];
  if (raw.triggers === undefined || raw.triggers === null) {
    triggers = [{ type: 'http' }];
  } else {
    if (!Array.isArray(raw.triggers)) fail('`export const triggers` must be an array of triggers');
    if (raw.triggers.length > 50) fail('A function may declare at most 50 triggers');
    // An empty list stays empty (as in 0.0.5): the function then runs only when called by name.
    triggers = raw.triggers.map(trigger);
  }
  if (raw.description !== undefined && raw.description !== null && typeof raw.description !== 'string') {
    fail('`export const description` must be a string');
  }
  if (raw.runOnce !== undefined && raw.runOnce !== null && typeof raw.runOnce !== 'boolean') {
    fail('`export const runOnce` must be true or false');
  }
  return {
    triggers,
    description: typeof raw.description === 'string' ? raw.description.slice(0, 1000) : null,
    runOnce: raw.runOnce === true,
  };
}
