import { groupPk } from '#shared/entities/group.ts';

/**
 * A search posting: `T#<n-gram>` / `G#<gid>`; a Query on one n-gram lists the groups that have it.
 * The stream keeps them in step with group names and memos.
 */
export const POSTING_PREFIX = 'T#';
export const postingPk = (token: string) => `${POSTING_PREFIX}${token}`;
export const postingKey = (token: string, groupId: number) => ({ pk: postingPk(token), sk: groupPk(groupId) });
