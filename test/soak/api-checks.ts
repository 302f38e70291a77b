import type { SoakClient } from './client.ts';
import type { Findings } from './findings.ts';
import type { WorldModel } from './model.ts';

/**
 * What the table alone cannot show, asked through the API once the fan-out is drained: each
 * acknowledged wallet password is the one that works, each live group is found by its
 * acknowledged name (the search postings follow renames on the stream), and an acknowledged
 * dismissal is seen by readers.
 */
export interface ApiFigures {
  readonly passwords: number;
  readonly searches: number;
  readonly dismissals: number;
}

const MISSING = 'acknowledged change missing';
const SEARCHES = 40;

export async function checkThroughApi(client: SoakClient, model: WorldModel, findings: Findings): Promise<ApiFigures> {
  let passwords = 0;
  for (const user of model.users.values()) {
    if (typeof user.password !== 'string') continue;
    passwords += 1;
    // Setting the password to itself needs the current one as the old one.
    const answer = await client.call('wallet_set_pwd', { new_pwd: user.password, old_pwd: user.password }, user.session);
    if (answer.kind !== 'reply' || !answer.success) {
      findings.add(MISSING, `user ${user.id}: the acknowledged wallet password does not work (${JSON.stringify(answer)})`);
    }
  }

  const caller = [...model.users.values()][0]!;
  let searches = 0;
  for (const group of model
    .liveGroups()
    .filter((candidate) => candidate.name !== undefined)
    .slice(0, SEARCHES)) {
    searches += 1;
    // The serial part of the name (`群12号`) is in no other name.
    const word = group.name!.split(' ').at(-1)!;
    const answer = await client.call('group_search', { search_words: word, page: 1, each_page_count: 20 }, caller.session);
    const ids = answer.kind === 'reply' && answer.success ? (answer.data.list as { id: number }[]).map((found) => found.id) : [];
    if (!ids.includes(group.id))
      findings.add(MISSING, `group ${group.id}: a search for "${word}" of its name "${group.name}" does not find it`);
  }

  let dismissals = 0;
  for (const group of model.groups.values()) {
    if (group.state !== 'dismissed') continue;
    dismissals += 1;
    const answer = await client.call('group_info', { group_id: group.id }, caller.session);
    if (!(answer.kind === 'reply' && answer.status === 52)) {
      findings.add(MISSING, `group ${group.id}: dismissed, group_info answered ${JSON.stringify(answer)}`);
    }
  }
  return { passwords, searches, dismissals };
}
