import { BuildStepError } from './build-errors.ts';

/** The destination's account files, when it has them. */
export interface AccountFiles {
  readonly passwd?: string;
  readonly group?: string;
}

/**
 * `--chown=user[:group]` as numeric IDs. Names are looked up in the destination's `/etc/passwd`
 * and `/etc/group`, as Docker does; a user without a group takes the UID as its GID too (Docker's
 * documented rule, not the user's primary group).
 */
export function chownIds(spec: string, files: AccountFiles): { uid: number; gid: number } {
  const [user = '', group] = spec.split(':', 2);
  const lookup = (name: string, file: string | undefined, what: 'user' | 'group'): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const id = accountId(file, name);
    if (id === undefined) {
      const role = what === 'user' ? 'uid for user' : 'gid for group';
      throw new BuildStepError(`unable to convert uid/gid chown string to host mapping: can't find ${role} ${name}: no such ${what}: ${name}`);
    }
    return id;
  };
  const uid = user === '' ? 0 : lookup(user, files.passwd, 'user');
  const gid = group === undefined || group === '' ? uid : lookup(group, files.group, 'group');
  return { uid, gid };
}

/** The third field (the ID) of the `name:…` line of a passwd or group file. */
function accountId(file: string | undefined, name: string): number | undefined {
  for (const line of (file ?? '').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2]!)) return Number(fields[2]);
  }
  return name === 'root' ? 0 : undefined;
}
