import { groupPk } from '#shared/entities/group.ts';

/**
 * The sent-marker of one event: `G#<gid>` / `O#<event id>`, beside the event in the group's
 * partition. It records which of the event's actions are done and how often handling it failed.
 */
export const SENT_MARKER_PREFIX = 'O#';

export const sentMarkerKey = (event: { readonly groupId: number; readonly eventId: string }) => ({
  pk: groupPk(event.groupId),
  sk: `${SENT_MARKER_PREFIX}${event.eventId}`,
});

/** The least sort key above every sent-marker: `$` follows `#`. */
export const AFTER_SENT_MARKERS = 'O$';
