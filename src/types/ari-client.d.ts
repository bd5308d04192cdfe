// ari-client ships no types; the daemon reaches it only through src/ari/, which narrows it.
declare module 'ari-client' {
  export function connect(url: string, username: string, password: string): Promise<unknown>;
}
