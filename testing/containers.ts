// Cleanup of the containers a Docker-backed test made, for its after-hooks.
import type Docker from 'dockerode';

/**
 * Force-removes every container, running or not, that `filters` matches (the test's own node
 * label or name prefix), at once; one that is already gone is no error.
 */
export async function removeContainers(
  docker: Docker,
  filters: { label?: string[]; name?: string[] },
  /** `v`: with their anonymous volumes */
  opts: { v?: boolean } = {},
): Promise<void> {
  const mine = await docker.listContainers({ all: true, filters });
  await Promise.all(
    mine.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, ...opts })
        .catch(() => {}),
    ),
  );
}
