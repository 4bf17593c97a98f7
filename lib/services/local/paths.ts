/**
 * Where the local infrastructure keeps its downloads: outside the repository, shared by every
 * checkout. `CRAWL_CLUSTER_CACHE` overrides it; otherwise `$XDG_CACHE_HOME/crawl-cluster` or
 * `~/.cache/crawl-cluster`.
 *
 * @module
 */

/** The cache folder (not created here). */
export function cacheDir(): string {
  const explicit = Deno.env.get("CRAWL_CLUSTER_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/crawl-cluster`;
  const home = Deno.env.get("HOME") ?? "/tmp";
  return `${home}/.cache/crawl-cluster`;
}

/** Finds an executable on PATH (or at an absolute path); null when missing. */
export function which(cmd: string): string | null {
  const candidates = cmd.includes("/")
    ? [cmd]
    : (Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin").split(":").concat([
      "/usr/sbin",
      "/sbin",
    ]).map((dir) => `${dir}/${cmd}`);
  for (const path of candidates) {
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111)) return path;
    } catch { /* not here */ }
  }
  return null;
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export async function portInUse(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
