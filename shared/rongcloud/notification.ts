/** RongCloud's built-in group notification message: clients show it inline and do not count it as unread. */
export const GROUP_NOTIFICATION_OBJECT = 'RC:GrpNtf';

/** RongCloud's standard operations, then this service's own (SPEC "Notifications"). */
export type GroupOperation =
  | 'Create'
  | 'Add'
  | 'Quit'
  | 'Kicked'
  | 'Rename'
  | 'Bulletin'
  | 'Dismiss'
  | 'SetAdmin'
  | 'RemoveAdmin'
  | 'Transfer'
  | 'SetPrice'
  | 'SetConsensus'
  | 'SetLogo'
  | 'SetPrivate'
  | 'Ban'
  | 'Unban'
  | 'Mute'
  | 'Unmute'
  | 'MuteAll'
  | 'UnmuteAll'
  | 'SetVisibility';

export interface GroupNotificationContent {
  operatorUserId: string;
  operation: GroupOperation;
  /** JSON-encoded: the client SDKs read `data` as a string and parse it themselves. */
  data: string;
  message: string;
  extra: string;
}

export interface GroupNotificationInput {
  operatorUserId: string | number;
  operation: GroupOperation;
  data: object;
  message?: string;
  extra?: string | object;
}

export function groupNotification(input: GroupNotificationInput): GroupNotificationContent {
  return {
    operatorUserId: String(input.operatorUserId),
    operation: input.operation,
    data: JSON.stringify(input.data),
    message: input.message ?? '',
    extra: typeof input.extra === 'object' ? JSON.stringify(input.extra) : (input.extra ?? ''),
  };
}
