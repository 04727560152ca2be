// The `x-osmo-via` header of a cluster of cores (src/core/replica/): the leader marks its
// answers `leader <its URL>`, a follower marks what it forwarded `follower <its name>; leader
// <the leader's URL>`. A client reads it to tell an answer that cost two cores from one that
// cost one, and where the one is (failover.ts moves there). Here, not beside the server: the
// client loads none of the server.

/** The header's name, on forwarded requests and on answers. */
export const VIA = 'x-osmo-via';

/** The leader's mark on its own answers. */
export const leaderVia = (url: string): string => `leader ${url}`;

/** A follower's mark on an answer it forwarded (`leaderUrl` undefined: it did not know it). */
export const followerVia = (holder: string, leaderUrl: string | undefined): string =>
  leaderUrl ? `follower ${holder}; leader ${leaderUrl}` : `follower ${holder}`;

export interface Via {
  /** the answer came through a follower */
  forwarded: boolean;
  /** the leader's URL (its origin), when the header names one */
  leader: string | undefined;
}

/** Reads the header; undefined when absent (a single core, or a follower's own refusal). */
export function parseVia(value: string | string[] | null | undefined): Via | undefined {
  const v = Array.isArray(value) ? value.join('; ') : value;
  if (!v) return undefined;
  const named = /(?:^|;\s*)leader (\S+)/.exec(v)?.[1];
  return { forwarded: v.startsWith('follower '), leader: named ? originOf(named) : undefined };
}

/** The origin of a URL (scheme, host, port), or undefined when it is not one: how bases and the leader are compared. */
export function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
