import { errors } from '../../base/index.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** The primary gid first, then every group listing the user (Docker's config.json order). */
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

const ID = /^\d+$/;
const MAX_ID = 2 ** 32 - 2;

function lines(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return lines(text)
    .filter((f) => f.length >= 4 && ID.test(f[2] ?? '') && ID.test(f[3] ?? ''))
    .map((f) => ({ name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }));
}

function parseGroup(text: string | undefined): GroupEntry[] {
  return lines(text)
    .filter((f) => f.length >= 3 && ID.test(f[2] ?? ''))
    .map((f) => ({ name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter((m) => m !== '') }));
}

function numericId(text: string, what: 'user' | 'group'): number {
  const id = Number(text);
  if (id > MAX_ID) throw errors.invalidArgument('INVALID_USER', `Invalid ${what} "${text}": id is out of range`);
  return id;
}

/**
 * Resolves a `--user` value against the image's /etc/passwd and /etc/group contents, as Docker
 * does: `name`, `uid`, `uid:gid`, `name:group`, `uid:groupname`. An unset user is root. A
 * numeric uid absent from passwd is allowed (gid 0, home `/`); a name absent from passwd throws
 * notFound `BERTH_E_USER_NOT_FOUND`, an unknown group name notFound `BERTH_E_GROUP_NOT_FOUND`.
 * Supplementary groups come from /etc/group only when no group was given.
 */
export function resolveUser(user: string | undefined, files: { passwd?: string | undefined; group?: string | undefined }): ResolvedUser {
  const spec = user?.trim() ?? '';
  const sep = spec.indexOf(':');
  const userPart = sep === -1 ? spec : spec.slice(0, sep);
  const groupPart = sep === -1 ? '' : spec.slice(sep + 1);
  const passwd = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '' || ID.test(userPart)) {
    uid = userPart === '' ? 0 : numericId(userPart, 'user');
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw errors.notFound('USER_NOT_FOUND', `Unable to find user "${userPart}": no matching entries in passwd file`);
    uid = entry.uid;
  }
  const home = entry?.home ?? '/';

  if (groupPart !== '') {
    const gid = ID.test(groupPart) ? numericId(groupPart, 'group') : groups.find((g) => g.name === groupPart)?.gid;
    if (gid === undefined) throw errors.notFound('GROUP_NOT_FOUND', `Unable to find group "${groupPart}": no matching entries in group file`);
    return { uid, gid, additionalGids: [gid], home };
  }
  const gid = entry?.gid ?? 0;
  const additionalGids = [gid];
  if (entry) {
    for (const g of groups) if (g.members.includes(entry.name) && !additionalGids.includes(g.gid)) additionalGids.push(g.gid);
  }
  return { uid, gid, additionalGids, home };
}

/**
 * `--group-add` values (group names or gids) as gids, names looked up in the container's
 * /etc/group as Docker does; notFound `BERTH_E_GROUP_NOT_FOUND` for an unknown name.
 */
export function resolveGroups(names: readonly string[], files: { group?: string | undefined }): number[] {
  const groups = parseGroup(files.group);
  return names.map((name) => {
    if (ID.test(name)) return numericId(name, 'group');
    const gid = groups.find((g) => g.name === name)?.gid;
    if (gid === undefined) throw errors.notFound('GROUP_NOT_FOUND', `Unable to find group ${name}: no matching entries in group file`);
    return gid;
  });
}
