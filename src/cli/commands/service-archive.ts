// `osmo service export|import` (pycloud Manager's import/export): an archive is a tar of
// `manifest.json` (the catalog entry) and `image.tar` (`docker save` of its image). Docker
// is spoken to through dockerode (DOCKER_HOST honoured); the archive is packed and unpacked
// by the system's tar with argv, never a shell string.
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { ServiceSpec } from '../../model/index.js';
import Docker from '../../runtime/dockerode.js';

const run = promisify(execFile);

const Manifest = z.object({ kind: z.literal('osmo-service'), version: z.literal(1), service: ServiceSpec });

/** Writes `out`: the service's manifest and its image as `docker save` makes it. */
export async function exportService(spec: z.input<typeof ServiceSpec>, out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'osmo-svc-export-'));
  try {
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ kind: 'osmo-service', version: 1, service: spec }, null, 2));
    const docker = new Docker();
    const stream = await docker.getImage(spec.image).get();
    await pipeline(stream, createWriteStream(join(dir, 'image.tar')));
    await run('tar', ['-cf', resolve(out), '-C', dir, 'manifest.json', 'image.tar']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loads the archive's image into the local engine and returns its catalog entry. */
export async function importService(file: string): Promise<z.output<typeof ServiceSpec>> {
  const dir = mkdtempSync(join(tmpdir(), 'osmo-svc-import-'));
  try {
    try {
      await run('tar', ['-xf', resolve(file), '-C', dir, 'manifest.json', 'image.tar']);
    } catch (e) {
      throw new InvalidArgumentError(
        `${file}: not a service archive (tar with manifest.json and image.tar): ${(e as Error).message.split('\n')[0]}`,
      );
    }
    let m;
    try {
      m = Manifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
    } catch (e) {
      throw new InvalidArgumentError(`${file}: manifest.json is not an osmo service manifest (${(e as Error).message.split('\n')[0]})`);
    }
    const docker = new Docker();
    const res = await docker.loadImage(createReadStream(join(dir, 'image.tar')));
    // the engine reports failures inside the stream: read it to the end and look
    const text = await new Promise<string>((ok, ko) => {
      let t = '';
      res.on('data', (d: Buffer) => (t += d.toString()));
      res.on('end', () => ok(t));
      res.on('error', ko);
    });
    if (/"error"/.test(text)) throw new Error(`docker load: ${text.slice(0, 300)}`);
    return m.service;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
