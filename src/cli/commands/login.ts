import { errors } from '../../base/index.js';
import { registryAuthKey, registryDomain } from '../../oci/index.js';
import { flagBool, flagString } from '../args.js';
import type { Command } from '../command.js';
import { eraseCredentials, storeCredentials } from '../docker-config.js';

export const loginCommand: Command = {
  name: 'login',
  usage: 'login [OPTIONS] [SERVER]',
  description: 'Log in to a registry (Docker Hub when no server is given); credentials are checked, then stored in ~/.docker/config.json (or its credential helper)',
  flags: {
    username: { kind: 'string', short: 'u', description: 'Username', value: 'string' },
    password: { kind: 'string', short: 'p', description: 'Password', value: 'string' },
    'password-stdin': { kind: 'bool', description: 'Take the password from stdin' },
  },
  async run(ctx, args) {
    const [server, ...extra] = args.positionals;
    if (extra.length > 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth login" requires at most 1 argument', { hint: "See 'berth login --help'" });
    const username = flagString(args, 'username');
    let password = flagString(args, 'password');
    const fromStdin = flagBool(args, 'password-stdin');
    if (fromStdin) {
      if (password !== undefined) throw errors.invalidArgument('CONFLICTING_OPTIONS', '--password and --password-stdin are mutually exclusive');
      if (username === undefined) throw errors.invalidArgument('MISSING_ARGUMENT', 'Must provide --username with --password-stdin');
      const chunks: Buffer[] = [];
      for await (const chunk of ctx.stdin) chunks.push(chunk as Buffer);
      password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    } else if (password !== undefined) {
      ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (username === undefined || password === undefined || username === '' || password === '') {
      throw errors.invalidArgument('MISSING_ARGUMENT', 'berth login needs -u USERNAME and a password (-p, or --password-stdin); it does not prompt');
    }
    const domain = registryDomain(server ?? 'docker.io');
    await ctx.engine().images.checkLogin(domain, { username, password }, ctx.operation());
    const stored = storeCredentials(registryAuthKey(domain), username, password);
    if (stored.helper === undefined) ctx.stderr.write(`WARNING! Your password will be stored unencrypted in ${stored.path}.\n`);
    ctx.stdout.write('Login Succeeded\n');
    return 0;
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  usage: 'logout [SERVER]',
  description: 'Log out from a registry (Docker Hub when no server is given)',
  flags: {},
  async run(ctx, args) {
    const [server, ...extra] = args.positionals;
    if (extra.length > 0) throw errors.invalidArgument('MISSING_ARGUMENT', '"berth logout" requires at most 1 argument', { hint: "See 'berth logout --help'" });
    const key = registryAuthKey(registryDomain(server ?? 'docker.io'));
    if (eraseCredentials(key)) ctx.stdout.write(`Removing login credentials for ${key}\n`);
    else ctx.stdout.write(`Not logged in to ${key}\n`);
    return 0;
  },
};
