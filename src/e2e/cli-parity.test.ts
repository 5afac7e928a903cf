/**
 * Docker's daily habits (issue 10) on a real store: `ps -l/-n/-s`, `images --filter` and the
 * REPOSITORY argument, and exit code 125 for a flag value the docker CLI cannot parse. What the
 * docker CLI printed for the same lines (20.10, recorded 2026-11-30) is quoted beside each check.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

describe('CLI parity: ps and images flags', { concurrency: false }, () => {
  let store: Store;
  const ok = (...args: string[]) => {
    const r = store.berth(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  before(() => {
    store = createStore({ withBusybox: true });
    ok('run', '--name', 'older', '--network', 'none', busyboxImage, 'sh', '-c', 'head -c 100000 /dev/zero > /file');
    ok('run', '-d', '--name', 'newer', '--network', 'none', busyboxImage, 'sleep', '1000');
    ok('tag', busyboxImage, 'parity/app:v1');
    ok('tag', busyboxImage, 'other/thing:2');
  });
  after(() => store.dispose());

  test('ps -l and -n count every state, newest first; -s adds SIZE with the writable layer and the virtual size', () => {
    assert.equal(ok('ps', '-l', '--format', '{{.Names}}'), 'newer\n');
    assert.equal(ok('ps', '-n', '2', '--format', '{{.Names}} {{.State}}'), 'newer running\nolder exited\n');
    assert.equal(ok('ps', '-n', '0', '-q'), '');
    const sized = ok('ps', '-a', '-s', '--format', '{{.Names}} {{.Size}}');
    // docker: "older   100kB (virtual 2.13MB)"-like; the writable layer holds the 100000-byte file.
    assert.match(sized, /^older 100(\.\d+)?kB \(virtual [\d.]+MB\)$/m);
    assert.match(ok('ps', '-s').split('\n')[0] ?? '', /NAMES +SIZE$/);
    // docker: `invalid argument "x" for "-n, --last" flag: strconv.ParseInt: parsing "x": invalid syntax`, exit 125.
    const bad = store.berth(['ps', '-n', 'x']);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid argument "x" for "-n, --last" flag/);
    assert.equal(store.berth(['stop', '-t', 'x', 'newer']).code, 125);
  });

  test('completion bash: commands, management subcommands, flags and container names complete in a real bash', () => {
    const script = ok('completion', 'bash');
    const complete = (...words: string[]) => {
      const line = words.map((w) => `'${w}'`).join(' ');
      const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=('${berthBin}' --root '${store.root}' ${line}); COMP_CWORD=\${#COMP_WORDS[@]}; COMP_CWORD=$((COMP_CWORD-1)); _berth; printf '%s\\n' "\${COMPREPLY[@]}"`]);
      assert.equal(r.status, 0, r.stderr.toString());
      return r.stdout.toString().split('\n').filter(Boolean).sort();
    };
    assert.deepEqual(complete('ima'), ['image', 'images']);
    assert.ok(complete('container', '').includes('prune'));
    assert.deepEqual(complete('ps', '--la'), ['--last', '--latest']);
    assert.deepEqual(complete('stop', 'ne'), ['newer']);
    assert.deepEqual(complete('container', 'logs', 'ol'), ['older']);
    assert.match(ok('completion', 'zsh'), /^#compdef berth\n/);
    assert.equal(store.berth(['completion', 'fish']).code, 1);
  });

  test('json-file attrs from --log-opt labels/env/tag, in the entry as dockerd writes them, shown by logs --details', () => {
    ok('run', '--name', 'attrs', '--network', 'none', '--label', 'com.x=1', '--label', 'b=2', '--label', 'other=3', '-e', 'E1=v1',
      '--log-opt', 'labels=com.x,b', '--log-opt', 'env=E1', '--log-opt', 'tag={{.Name}}', busyboxImage, 'sh', '-c', 'echo hi; echo err >&2');
    const id = ok('inspect', '-f', '{{.Id}}', 'attrs').trim();
    // dockerd 20.10 wrote, for the same run (its name in the tag):
    // {"log":"hi\n","stream":"stdout","attrs":{"E1":"v1","b":"2","com.x":"1","tag":"bold_hawking"},"time":"2026-11-30T02:11:24.493794993Z"}
    const lines = readFileSync(join(store.root, 'containers', id, `${id}-json.log`), 'utf8').split('\n').filter(Boolean);
    assert.match(lines.find((l) => l.includes('"stdout"')) ?? '', /^\{"log":"hi\\n","stream":"stdout","attrs":\{"E1":"v1","b":"2","com\.x":"1","tag":"attrs"\},"time":"[^"]+Z"\}$/);
    // docker logs --details: "E1=v1,b=2,com.x=1,tag=bold_hawking hi"
    const details = store.berth(['logs', '--details', 'attrs']);
    assert.equal(details.stdout, 'E1=v1,b=2,com.x=1,tag=attrs hi\n');
    assert.equal(details.stderr, 'E1=v1,b=2,com.x=1,tag=attrs err\n');
    assert.match(store.berth(['run', '--rm', '--log-driver', 'local', '--log-opt', 'labels=a', busyboxImage, 'true']).stderr, /unknown log opt 'labels' for local log driver/);
  });

  test('images: --filter reference (Go path patterns), the REPOSITORY argument, dangling; dockerd\'s errors', () => {
    const names = (...args: string[]) => ok('images', '--format', '{{.Repository}}:{{.Tag}}', ...args).split('\n').filter(Boolean).sort();
    assert.deepEqual(names('--filter', 'reference=parity/*'), ['parity/app:v1']);
    assert.deepEqual(names('--filter', 'reference=parity*'), []);
    assert.deepEqual(names('other/thing'), ['other/thing:2']);
    assert.deepEqual(names('--filter', 'dangling=true'), []);
    // docker: "Error response from daemon: Invalid filter 'foo'", exit 1.
    const unknown = store.berth(['images', '--filter', 'foo=bar']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Invalid filter 'foo'/);
    assert.match(store.berth(['images', '--filter', 'before=nosuch']).stderr, /No such image: nosuch:latest/);
  });
});
