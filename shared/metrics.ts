import { invocationFields, writeLine } from '#shared/log.ts';

/**
 * Business and delivery metrics as CloudWatch embedded metric format lines: CloudWatch turns each
 * line in the function's log into metric points, so no API call and no client is on the request
 * path. The same line carries the invocation's fields (request id, method) as searchable
 * properties. Each process also keeps totals, which the local runtime serves at `/_local/metrics`.
 */
export const METRICS_NAMESPACE = 'ImGroupService';
const SERVICE = 'im-group';

export type Unit = 'Count' | 'Milliseconds';

export type MetricName =
  | 'Joins'
  | 'Payments'
  | 'PaymentAmount'
  | 'Refunds'
  | 'Refusals'
  | 'Deliveries'
  | 'RongCloudRetries'
  | 'RongCloudLatency'
  | 'DeadLetters'
  | 'ConsensusWarnings'
  | 'ConsensusRemovals';

interface Total {
  readonly name: MetricName;
  readonly unit: Unit;
  readonly dimensions: Readonly<Record<string, string>>;
  count: number;
  sum: number;
  max: number;
}

const totals = new Map<string, Total>();

/**
 * Records one value of a metric. `dimensions` split it (Kind, Coin, Status); `properties` ride on
 * the line without becoming metrics (an exact amount as a decimal string, say).
 */
export function metric(
  name: MetricName,
  value = 1,
  options: { unit?: Unit; dimensions?: Record<string, string>; properties?: Record<string, unknown> } = {},
): void {
  const unit = options.unit ?? 'Count';
  const dimensions = options.dimensions ?? {};
  const key = `${name}|${Object.entries(dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}`;
  const total = totals.get(key) ?? { name, unit, dimensions, count: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
  total.count++;
  total.sum += value;
  total.max = Math.max(total.max, value);
  totals.set(key, total);
  // The local runtime serves the totals instead of printing a line per point.
  if (process.env.METRICS_OUTPUT === 'totals') return;
  writeLine({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          // With dimensions, the service-wide total is published too, for alarms and dashboards.
          Dimensions: Object.keys(dimensions).length ? [['Service'], ['Service', ...Object.keys(dimensions)]] : [['Service']],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    Service: SERVICE,
    ...dimensions,
    [name]: value,
    ...invocationFields(),
    ...options.properties,
  });
}

/** What this process recorded since it started (or since `resetMetricTotals`), per metric and dimensions. */
export const metricTotals = () =>
  [...totals.values()].map((t) => ({ ...t, max: t.count === 0 ? 0 : t.max })).sort((a, b) => a.name.localeCompare(b.name));

export const resetMetricTotals = () => totals.clear();

/**
 * A payment's count and amount per coin. The amount metric is for charts only (CloudWatch keeps
 * doubles); the exact decimal string rides on the line, and the ledger is the record.
 */
export function paymentMetrics(coinId: number, amount: string, kind: 'join' | 'renew' | 'private'): void {
  const dimensions = { Coin: String(coinId) };
  metric('Payments', 1, { dimensions, properties: { kind, amount } });
  metric('PaymentAmount', Number(amount), { dimensions, properties: { kind, amount } });
}

/** A refund, counted apart from payments so that payment charts show money coming in only. */
export function refundMetrics(coinId: number, amount: string, by: 'owner' | 'dismissal'): void {
  metric('Refunds', 1, { dimensions: { Coin: String(coinId) }, properties: { by, amount } });
}
