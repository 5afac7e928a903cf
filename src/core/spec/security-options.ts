import { errors } from '../../base/index.js';

/** What `--security-opt` asked for, checked. */
export interface SecurityOptions {
  /** The default profile, none, or a Docker-format profile (parsed JSON). */
  seccomp: { kind: 'default' } | { kind: 'unconfined' } | { kind: 'profile'; profile: unknown };
  noNewPrivileges: boolean;
}

/**
 * Parses `--security-opt` values as Docker's daemon does (`key=value`, or the old `key:value`):
 * `seccomp=unconfined`, `seccomp=builtin`, `seccomp=<profile JSON>` (the CLI reads a profile file
 * into its JSON, as docker's does), `no-new-privileges[=|:true|false]`; `apparmor=unconfined` and
 * `label=disable` ask for nothing this host applies and are accepted. Other AppArmor profiles and
 * SELinux labels are refused: neither is available to berth, and a confinement silently not
 * applied is worse than an error. Anything else is refused naming the option.
 * Throws invalidArgument `BERTH_E_INVALID_SECURITY_OPT` or notImplemented `BERTH_E_SECURITY_OPT_UNSUPPORTED`.
 */
export function parseSecurityOptions(options: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { seccomp: { kind: 'default' }, noNewPrivileges: false };
  for (const opt of options) {
    const invalid = (why: string) => errors.invalidArgument('INVALID_SECURITY_OPT', `Invalid --security-opt "${short(opt)}": ${why}`);
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'disable') continue; // Docker's old spelling of label=disable
    const sep = /[=:]/.exec(opt);
    if (!sep) throw invalid('expected KEY=VALUE');
    const key = opt.slice(0, sep.index);
    const value = opt.slice(sep.index + 1);
    switch (key) {
      case 'seccomp':
        if (value === 'unconfined') out.seccomp = { kind: 'unconfined' };
        else if (value === 'builtin' || value === 'default') out.seccomp = { kind: 'default' };
        else {
          let profile: unknown;
          try {
            profile = JSON.parse(value);
          } catch {
            throw invalid('expected unconfined, builtin or a seccomp profile (give the path of a profile file to berth run)');
          }
          out.seccomp = { kind: 'profile', profile };
        }
        break;
      case 'no-new-privileges':
        if (value !== 'true' && value !== 'false') throw invalid('the value must be true or false');
        out.noNewPrivileges = value === 'true';
        break;
      case 'apparmor':
        if (value !== 'unconfined') throw unsupported(opt, 'AppArmor is not available to berth on this host');
        break;
      case 'label':
        if (value !== 'disable') throw unsupported(opt, 'SELinux labels are not available to berth on this host');
        break;
      default:
        throw invalid(`unknown option "${key}": use seccomp, no-new-privileges, apparmor or label`);
    }
  }
  return out;
}

function unsupported(opt: string, why: string) {
  return errors.notImplemented('SECURITY_OPT_UNSUPPORTED', `Cannot apply --security-opt "${short(opt)}": ${why}`);
}

/** A profile's JSON can be long: name the option, not its content. */
function short(opt: string): string {
  return opt.length > 60 ? `${opt.slice(0, 57)}...` : opt;
}
