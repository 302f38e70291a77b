import { group_set_consensus } from '#shared/api/methods/wallet.ts';
import { setConsensus } from '#shared/groups/terms.ts';
import { methodWithSession } from '#shared/http/method.ts';

export const handler = methodWithSession(group_set_consensus, ({ params, caller, db, requestId }) =>
  setConsensus(db, {
    ownerId: caller,
    groupId: params.group_id,
    coinId: params.consensus_coin,
    value: params.consensus_value,
    graceHours: params.consensus_grace_hours,
    attemptId: requestId,
  }),
);
