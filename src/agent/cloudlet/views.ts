// pycloud's field names, as its API and the Android client read them.
import type { AppView, ServiceView } from '../../model/index.js';
import type { LocalInstance } from './instances.js';

export function serviceView(s: ServiceView) {
  return {
    _id: s.id,
    service_id: s.id,
    description: s.description,
    version: s.version,
    tags: s.tags,
    port: s.port,
    num_users: s.numUsers,
    ideal_memory: s.idealMemory,
    min_memory: s.minMemory,
    image: s.image,
  };
}

export function appView(a: AppView) {
  return {
    _id: a.id,
    name: a.name,
    service_id: a.serviceId ?? null,
    description: a.description,
    package_name: a.packageName,
    app_version: a.appVersion,
    min_android_version: a.minAndroidVersion,
    md5sum: a.md5,
    tags: a.tags,
    filename: a.fileName,
    size: a.size,
  };
}

export function instanceView(i: LocalInstance, address: string, extra: Record<string, unknown> = {}) {
  return {
    _id: i.id,
    service_id: i.serviceId,
    ip_address: address,
    port_mappings: i.hostPort !== null ? { [String(i.hostPort)]: i.servicePort } : {},
    service_port: i.servicePort,
    running: true,
    ready: true,
    num_current_users: i.users.length,
    ...extra,
    IP_ADDRESS: address,
    PORT: i.hostPort,
    INSTANCE_ID: i.id,
  };
}
