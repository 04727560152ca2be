// A health-check command inside a running container: an exec with argv (the engine runs
// it without a shell), stdout and stderr collected, the exit code read back from the exec.
// The engine has no call to kill an exec, so on timeout the stream is dropped and the
// command may finish on its own later.
import type Docker from './dockerode.js';
import { demuxLogs } from './docker-logs.js';
import { commandVerdict } from './health.js';
import type { HealthResult } from './types.js';

export async function execCheck(docker: Docker, id: string, argv: string[], timeoutMs: number): Promise<HealthResult> {
  const exec = await docker.getContainer(id).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (b: Buffer) => chunks.push(b));
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    new Promise<boolean>((resolve) => {
      stream.once('end', () => resolve(true));
      stream.once('close', () => resolve(true));
      stream.once('error', () => resolve(true));
    }),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!finished) {
    stream.destroy();
    return commandVerdict(null, demuxLogs(Buffer.concat(chunks)), timeoutMs);
  }
  // the stream can end a moment before the engine records the exit code
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running || i >= 20) return commandVerdict(info.ExitCode ?? null, demuxLogs(Buffer.concat(chunks)));
    await new Promise((r) => setTimeout(r, 50));
  }
}
