import { groupPk } from '#shared/entities/group.ts';

export const SENT_MARKER_PREFIX = 'O#';

/**
 * The sent-marker of one event: `G#<gid>` / `O#<event id>`, beside the event in the group's
 * partition. It records which of the event's actions are done and how often handling it failed.
 */
export const sentMarkerKey = (event: { readonly groupId: number; readonly eventId: string }) => ({
  pk: groupPk(event.groupId),
  sk: `${SENT_MARKER_PREFIX}${event.eventId}`,
});

/**
 * The sort-key ranges of a group's partition that hold no sent-marker: below `O#` and from `O$`
 * (the next prefix) on. A clean-up keeps the markers, so a batch delivered again after it still
 * finds them; their TTL removes them.
 */
export const BESIDE_SENT_MARKERS = [
  { condition: 'sk < :bound', bound: SENT_MARKER_PREFIX },
  { condition: 'sk >= :bound', bound: 'O$' },
] as const;
