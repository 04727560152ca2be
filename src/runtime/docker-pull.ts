// Pull with progress: the engine answers 200 and then reports failures inside the stream,
// so both the request and the stream's {error} objects must be turned into OsmoErrors.
import type Docker from 'dockerode';
import { OsmoError } from '../shared/errors.js';
import { engineMessage, engineStatus } from './docker-errors.js';
import { onJsonLines } from './json-lines.js';
import type { PullProgress } from './types.js';

interface PullLine {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

const MISSING = /not found|manifest unknown|does not exist|repository .* not found|no such image|pull access denied/i;

export function pullError(image: string, message: string, status?: number): OsmoError {
  const kind = status === 404 || MISSING.test(message) ? 'not_found' : 'unavailable';
  const what = kind === 'not_found' ? 'image not found in its registry' : 'registry unreachable or pull failed';
  return new OsmoError(kind, `pull of image "${image}" failed (${what}): ${message}`, { image });
}

export async function pullImage(docker: Docker, image: string, onProgress?: (p: PullProgress) => void): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (e) {
    throw pullError(image, engineMessage(e), engineStatus(e));
  }
  await new Promise<void>((resolve, reject) => {
    let failed: OsmoError | undefined;
    onJsonLines(stream, (o) => {
      const line = o as PullLine;
      if (line.error || line.errorDetail?.message) {
        failed ??= pullError(image, line.errorDetail?.message ?? line.error ?? 'unknown error');
        return;
      }
      if (onProgress && line.status) {
        onProgress({
          image,
          status: line.status,
          ...(line.id ? { id: line.id } : {}),
          ...(line.progressDetail?.current !== undefined ? { current: line.progressDetail.current } : {}),
          ...(line.progressDetail?.total !== undefined ? { total: line.progressDetail.total } : {}),
        });
      }
    });
    stream.on('error', (e: unknown) => reject(pullError(image, engineMessage(e))));
    stream.on('end', () => (failed ? reject(failed) : resolve()));
  });
}
