/**
 * One second of a shared rate budget: `RATE#<bucket>` / `<unix second>`, counting the calls every
 * fan-out instance made in that second. Items expire after two minutes.
 */
export const rateBudgetKey = (bucket: string, second: number) => ({ pk: `RATE#${bucket}`, sk: String(second) });
