// Choosing a cloudlet for a service, as a device would (pycloud's selection inputs):
// one that already runs the service first (joining is cheaper than starting), then the
// lowest load, then the most free memory. Pure: the inputs are read elsewhere (system.ts).

/** What a cloudlet told about itself, reduced to what the choice needs. */
export interface Candidate {
  /** the DNS-SD instance name */
  name: string;
  /** where its cloudlet API answered */
  url: string;
  nodeId?: string | undefined;
  /** the service is in its catalog */
  offers: boolean;
  /** an instance of the service is running there */
  running: boolean;
  /** osmo's load factor, or pycloud's CPU usage scaled to [0, 1] */
  load: number;
  /** bytes */
  freeMemory: number;
}

export interface Rejected {
  name: string;
  url?: string | undefined;
  reason: string;
}

export interface Ranking {
  /** best first */
  ranked: Candidate[];
  rejected: Rejected[];
}

/** Orders the cloudlets that offer the service; the rest are rejected with the reason. */
export function rankCloudlets(serviceId: string, candidates: readonly Candidate[]): Ranking {
  const ranked: Candidate[] = [];
  const rejected: Rejected[] = [];
  for (const c of candidates) {
    if (c.offers) ranked.push(c);
    else rejected.push({ name: c.name, url: c.url, reason: `does not offer service "${serviceId}"` });
  }
  ranked.sort(
    (a, b) =>
      Number(b.running) - Number(a.running) ||
      a.load - b.load ||
      b.freeMemory - a.freeMemory ||
      // equal on every rule: by name, so that every device picks the same one
      a.name.localeCompare(b.name),
  );
  return { ranked, rejected };
}

/** One line on why the winner won (for the CLI). */
export function whyChosen(best: Candidate, next: Candidate | undefined): string {
  if (!next) return 'the only cloudlet that offers the service';
  if (best.running && !next.running) return 'already runs the service';
  if (best.load < next.load) return `lowest load (${best.load.toFixed(2)} < ${next.load.toFixed(2)})`;
  if (best.freeMemory > next.freeMemory) return 'most free memory';
  return 'tied on every rule; first by name';
}
