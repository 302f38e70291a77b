/**
 * Settings read once per container. A function that needs a setting the environment lacks fails
 * at cold start, not on the first request that happens to touch it.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing required setting ${name}`);
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value ? value : undefined;
}
