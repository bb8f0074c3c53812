/**
 * SPEC §2.1, the one access rule for tables, buckets and their realtime topics, shared by every service:
 * - public: anyone with the API key may read; writing content needs a signed-in user;
 * - private: only its owner and admins see it at all (lists, counts, reads, content, realtime);
 * - changing the resource itself (metadata, schema, deletion): its owner or an admin.
 * Row-level rules (a row's `user_id`) are the tables module's business.
 */
export interface Actor {
  id: string;
  role: 'USER' | 'ADMIN';
}

export interface OwnedResource {
  public: boolean;
  owner_id: string | null;
}

export const isAdmin = (actor: Actor | null): boolean => actor?.role === 'ADMIN';

const isOwner = (actor: Actor | null, resource: OwnedResource): boolean =>
  actor !== null && resource.owner_id !== null && resource.owner_id === actor.id;

/** May see the resource and read its content (anonymous callers: public resources only). */
export function canRead(actor: Actor | null, resource: OwnedResource): boolean {
  return resource.public || isAdmin(actor) || isOwner(actor, resource);
}

/** May add content (rows, files): a signed-in user who can read it. */
export function canWriteContent(actor: Actor | null, resource: OwnedResource): boolean {
  return actor !== null && canRead(actor, resource);
}

/** May change or delete the resource itself. */
export function canManage(actor: Actor | null, resource: OwnedResource): boolean {
  return isAdmin(actor) || isOwner(actor, resource);
}
