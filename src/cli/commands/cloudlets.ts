// `osmo service ls|add|rm|export|import` (the cloudlet catalog) and `osmo app ls|push|rm`
// (the app repository), over the core API.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { parseTags } from '../../model/index.js';
import { clientFlags as withCommon, print, table, type ClientFlags } from '../common.js';
import { coreClient } from '../core-client.js';
import { exportService, importService } from './service-archive.js';

const int = (what: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a whole number >= 0, got "${v}"`);
  return n;
};
const env = (v: string, prev: Record<string, string> = {}) => {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`--env "${v}" is not K=V`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
};

interface AddFlags extends ClientFlags {
  image: string;
  port: number;
  tags?: string;
  description?: string;
  version?: string;
  minMemory?: number;
  idealMemory?: number;
  numUsers?: number;
  env?: Record<string, string>;
  replace?: boolean;
}

export function register(program: Command): void {
  const service = program.command('service').description('the cloudlet catalog: services devices may start on a cloudlet');

  withCommon(service.command('ls').description('list the catalog')).action(async (o: ClientFlags) => {
    const services = await coreClient(o).cloudlets.services();
    print(o, { services }, () =>
      table([
        ['ID', 'IMAGE', 'PORT', 'VERSION', 'TAGS', 'MEMORY (MIN/IDEAL MiB)'],
        ...services.map((s) => [s.id, s.image, String(s.port), s.version, s.tags.join(',') || '-', `${s.minMemory}/${s.idealMemory}`]),
      ]),
    );
  });

  withCommon(
    service
      .command('add')
      .description('add a service (--replace: create or replace)')
      .argument('<id>', 'service id, e.g. edu.cmu.sei.ams.speech')
      .requiredOption('--image <image>', 'container image')
      .requiredOption('--port <port>', 'TCP port the service listens on in its container', int('--port'))
      .option('--tags <a,b>', 'comma-separated tags')
      .option('--description <text>')
      .option('--version <v>', 'service version')
      .option('--min-memory <MiB>', 'memory it needs at least', int('--min-memory'))
      .option('--ideal-memory <MiB>', 'memory it runs best with', int('--ideal-memory'))
      .option('--num-users <n>', 'users one instance serves well', int('--num-users'))
      .option('--env <K=V>', 'environment variable (repeatable)', env)
      .option('--replace', 'replace an existing entry'),
  ).action(async (id: string, o: AddFlags) => {
    const body = {
      image: o.image,
      port: o.port,
      ...(o.tags !== undefined ? { tags: parseTags(o.tags) } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      ...(o.version !== undefined ? { version: o.version } : {}),
      ...(o.minMemory !== undefined ? { minMemory: o.minMemory } : {}),
      ...(o.idealMemory !== undefined ? { idealMemory: o.idealMemory } : {}),
      ...(o.numUsers !== undefined ? { numUsers: o.numUsers } : {}),
      ...(o.env ? { env: o.env } : {}),
    };
    const api = coreClient(o).cloudlets;
    const s = o.replace ? await api.putService(id, body) : await api.addService({ id, ...body });
    print(o, s, () => `service ${s.id} (${s.image}, port ${s.port}) in the catalog\n`);
  });

  withCommon(service.command('rm').description('remove a service from the catalog').argument('<id>')).action(
    async (id: string, o: ClientFlags) => {
      await coreClient(o).cloudlets.removeService(id);
      print(o, { removed: id }, () => `service ${id} removed\n`);
    },
  );

  withCommon(
    service
      .command('export')
      .description("write a service archive: its catalog entry and its image (docker save) from this machine's engine")
      .argument('<id>')
      .requiredOption('-o, --output <file>', 'archive to write, e.g. svc.tar'),
  ).action(async (id: string, o: ClientFlags & { output: string }) => {
    const s = await coreClient(o).cloudlets.service(id);
    const { createdAt: _c, updatedAt: _u, ...spec } = s;
    await exportService(spec, o.output);
    print(o, { exported: id, file: o.output }, () => `service ${id} and image ${s.image} written to ${o.output}\n`);
  });

  withCommon(
    service
      .command('import')
      .description("load a service archive: its image into this machine's engine (docker load), its entry into the catalog")
      .argument('<file>')
      .option('--replace', 'replace an existing catalog entry'),
  ).action(async (file: string, o: ClientFlags & { replace?: boolean }) => {
    const spec = await importService(file);
    const api = coreClient(o).cloudlets;
    const { id, ...body } = spec;
    const s = o.replace ? await api.putService(id, body) : await api.addService(spec);
    print(o, s, () => `service ${s.id} imported (image ${s.image} loaded)\n`);
  });

  const app = program.command('app').description('the cloudlet app repository');

  withCommon(app.command('ls').description('list apps').option('--tags <a,b>', 'only apps carrying every tag')).action(
    async (o: ClientFlags & { tags?: string }) => {
      const apps = await coreClient(o).cloudlets.apps(parseTags(o.tags));
      print(o, { apps }, () =>
        table([
          ['ID', 'NAME', 'SERVICE', 'VERSION', 'TAGS', 'SIZE', 'MD5'],
          ...apps.map((a) => [a.id, a.name, a.serviceId ?? '-', a.appVersion || '-', a.tags.join(',') || '-', String(a.size), a.md5]),
        ]),
      );
    },
  );

  withCommon(
    app
      .command('push')
      .description('upload an app file with its metadata')
      .argument('<file>')
      .requiredOption('--name <name>')
      .option('--service <id>', 'the service the app is a client of')
      .option('--tags <a,b>')
      .option('--description <text>')
      .option('--package <name>', 'package name (e.g. edu.cmu.sei.speech)')
      .option('--app-version <v>')
      .option('--min-android <n>', 'minimum Android API level', int('--min-android')),
  ).action(
    async (
      file: string,
      o: ClientFlags & {
        name: string;
        service?: string;
        tags?: string;
        description?: string;
        package?: string;
        appVersion?: string;
        minAndroid?: number;
      },
    ) => {
      let data: Buffer;
      try {
        data = readFileSync(file);
      } catch (e) {
        throw new InvalidArgumentError(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const a = await coreClient(o).cloudlets.pushApp(
        {
          name: o.name,
          fileName: basename(file),
          ...(o.service ? { serviceId: o.service } : {}),
          ...(o.tags ? { tags: parseTags(o.tags) } : {}),
          ...(o.description ? { description: o.description } : {}),
          ...(o.package ? { packageName: o.package } : {}),
          ...(o.appVersion ? { appVersion: o.appVersion } : {}),
          ...(o.minAndroid !== undefined ? { minAndroidVersion: o.minAndroid } : {}),
        },
        data,
      );
      print(o, a, () => `app ${a.name} uploaded: id ${a.id}, md5 ${a.md5}, ${a.size} bytes\n`);
    },
  );

  withCommon(app.command('get').description('download an app file').argument('<id>').requiredOption('-o, --output <file>')).action(
    async (id: string, o: ClientFlags & { output: string }) => {
      const d = await coreClient(o).cloudlets.downloadApp(id);
      writeFileSync(o.output, d.data);
      print(o, { id, file: o.output, md5: d.md5 }, () => `app ${id} written to ${o.output} (md5 ${d.md5 ?? '?'})\n`);
    },
  );

  withCommon(app.command('rm').description('remove an app and its file').argument('<id>')).action(async (id: string, o: ClientFlags) => {
    await coreClient(o).cloudlets.removeApp(id);
    print(o, { removed: id }, () => `app ${id} removed\n`);
  });
}
