/**
 * Scripts written for Docker work on berth unchanged (issue 10): shell snippets of the kind people
 * keep in Makefiles and CI jobs, run by `sh` with `docker` on PATH being berth (a shim directory
 * whose `docker` execs bin/berth). Each snippet checks itself with `test`/`grep` and must exit 0;
 * none knows it is not talking to Docker.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Store } from './harness.js';
import { berthBin, busyboxImage, createStore } from './harness.js';

describe('Docker scripts run unchanged with `docker` being berth', { concurrency: false }, () => {
  let store: Store;
  let shim: string;
  before(() => {
    store = createStore({ withBusybox: true, timeoutMs: 120_000 });
    shim = mkdtempSync(join(tmpdir(), 'berth-docker-shim-'));
    writeFileSync(join(shim, 'docker'), `#!/bin/sh\nexec '${berthBin}' "$@"\n`);
    chmodSync(join(shim, 'docker'), 0o755);
    // The long-running service the snippets probe, exec into and copy from.
    const web = store.berth(['run', '-d', '--name', 'web', '--network', 'none', '--health-cmd', 'test -f /etc/passwd', '--health-interval', '1s', busyboxImage, 'sleep', '1000']);
    assert.equal(web.code, 0, web.stderr);
  });
  after(() => {
    store.dispose();
    rmSync(shim, { recursive: true, force: true });
  });

  /** Runs a snippet with `sh -e`; IMG is the busybox image. Returns its stdout. */
  const script = (text: string, input?: string) => {
    const r = spawnSync('sh', ['-ec', text], {
      env: { ...process.env, PATH: `${shim}:${process.env['PATH'] ?? '/usr/bin:/bin'}`, BERTH_ROOT: store.root, IMG: busyboxImage },
      input: input ?? '',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, `snippet failed (${r.status ?? r.signal}):\n${text}\nstdout: ${r.stdout.toString()}\nstderr: ${r.stderr.toString()}`);
    return r.stdout.toString();
  };

  test('the shim is the docker on PATH, and it is berth', () => {
    assert.match(script('command -v docker; docker version --format "{{.Client.Version}}"'), /berth-docker-shim-.*\/docker\n\d+\.\d+\.\d+/);
  });

  test('a CI job\'s "is the engine up" check: docker info and docker version answer with --format', () => {
    script('docker info --format "{{.ServerVersion}}" | grep -q . && test -n "$(docker version --format "{{.Server.Version}}")"');
  });

  test('docker run --rm passes the exit status on: 3, 126 for a file that is not executable, 127 for no such command', () => {
    script(`set +e
      docker run --rm --network none "$IMG" sh -c 'exit 3'; test $? = 3 || exit 1
      docker run --rm --network none "$IMG" /etc/passwd 2>/dev/null; test $? = 126 || exit 1
      docker run --rm --network none "$IMG" no-such-command 2>/dev/null; test $? = 127 || exit 1
      docker ps --bogus 2>/dev/null; test $? = 125`);
  });

  test('wait for a health check: test "$(docker inspect -f \'{{.State.Health.Status}}\' web)" = healthy', () => {
    script(`for i in $(seq 1 100); do
        [ "$(docker inspect -f '{{.State.Health.Status}}' web)" = healthy ] && break
        sleep 0.2
      done
      test "$(docker inspect -f '{{.State.Health.Status}}' web)" = healthy
      docker ps --filter health=healthy --format '{{.Names}}' | grep -qx web`);
  });

  test('docker exec web test -f FILE as a readiness probe; its status is the command\'s', () => {
    script('docker exec web test -f /etc/passwd && ! docker exec web test -f /no/such/file && test "$(docker exec web sh -c \'echo $((6*7))\')" = 42');
  });

  test('docker logs x 2>&1 | grep: stdout and stderr both reach the pipe', () => {
    script(`docker run --name talker --network none "$IMG" sh -c 'echo ready; echo "warning: low" >&2' >/dev/null 2>&1
      docker logs talker 2>&1 | grep -q '^ready$'
      docker logs talker 2>&1 | grep -q '^warning: low$'
      test "$(docker logs talker 2>/dev/null)" = ready`);
  });

  test("docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' finds a volume's data on the host", () => {
    script(`docker run --name writer --network none -v appdata:/data "$IMG" sh -c 'echo saved > /data/file'
      src=$(docker inspect -f '{{range .Mounts}}{{.Source}}{{end}}' writer)
      test "$src" = "$(docker volume inspect -f '{{.Mountpoint}}' appdata)"
      test "$(cat "$src/file")" = saved
      docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' writer | grep -q '^appdata:/data '`);
  });

  test("docker images --format '{{.Repository}}:{{.Tag}}' | grep -q: an image check before a build", () => {
    script(`docker images --format '{{.Repository}}:{{.Tag}}' | grep -qx "$IMG"
      ! docker images --format '{{.Repository}}:{{.Tag}}' | grep -q '^nosuch/'
      docker image inspect "$IMG" >/dev/null 2>&1 || exit 1
      if docker image inspect nosuch/app:1 >/dev/null 2>&1; then exit 1; fi
      docker image inspect nosuch/app:1 2>&1 >/dev/null | grep -q 'No such image'`);
  });

  test('a Makefile build, tag and run: docker build -t from stdin, docker tag, docker rmi', () => {
    script(`printf 'FROM %s\\nRUN echo built > /built\\n' "$IMG" | docker build -q -t make/app:1 - >/dev/null
      test "$(docker run --rm --network none make/app:1 cat /built)" = built
      docker tag make/app:1 make/app:latest
      docker images -q make/app | sort -u | wc -l | grep -qx 1
      docker rmi make/app:latest | grep -q '^Untagged: make/app:latest$'`);
  });

  test('docker wait prints the exit code; docker stop leaves it exited', () => {
    script(`cid=$(docker run -d --network none "$IMG" sh -c 'exit 7')
      test "$(docker wait "$cid")" = 7
      cid=$(docker run -d --network none "$IMG" sleep 1000)
      docker stop -t 1 "$cid" >/dev/null
      test "$(docker inspect -f '{{.State.Status}} {{.State.Running}}' "$cid")" = 'exited false'`);
  });

  test('docker cp out of a container to a tar stream', () => {
    script('docker cp web:/etc/passwd - | tar -tf - | grep -qx passwd');
  });

  test("errors scripts match on: 'No such container', 'No such object', 'Error response from daemon'", () => {
    script(`docker inspect nosuch 2>&1 >/dev/null | grep -q 'No such object: nosuch'
      docker container inspect nosuch 2>&1 >/dev/null | grep -q 'Error response from daemon: No such container: nosuch'
      docker logs nosuch 2>&1 | grep -q 'Error response from daemon: No such container: nosuch'
      docker rm nosuch 2>&1 | grep -q 'No such container'
      docker rm web 2>&1 | grep -q 'You cannot remove a running container'`);
  });

  test('docker ps -aq --filter status=exited | xargs -r docker rm: clean up what exited', () => {
    const out = script(`docker ps -aq --filter status=exited | xargs -r docker rm >/dev/null
      test -z "$(docker ps -aq --filter status=exited)"
      docker ps -a --format '{{.Names}} {{.State}}'`);
    assert.equal(out, 'web running\n', 'only the running container is left');
  });

  test('docker volume ls -q --filter dangling=true | xargs -r docker volume rm: clean up unused volumes', () => {
    script(`docker volume create spare >/dev/null
      docker run -d --name holder --network none -v kept:/k "$IMG" sleep 1000 >/dev/null
      docker volume ls -q --filter dangling=true | xargs -r docker volume rm >/dev/null
      test "$(docker volume ls -q)" = kept
      docker rm -f holder >/dev/null`);
  });

  test("tear-down: docker stop $(docker ps -q), docker rm -f $(docker ps -aq), docker image prune -f", () => {
    script(`docker stop -t 1 $(docker ps -q) >/dev/null
      test -z "$(docker ps -q)"
      docker rm -f $(docker ps -aq) >/dev/null
      test -z "$(docker ps -aq)"
      docker image prune -f >/dev/null
      docker images --format '{{.Repository}}' | grep -qx berth-test/busybox`);
  });
});
