// Build contexts and their base for bench/build.mjs, check-reproducible.mjs and cached-rebuild.mjs.
// Nothing but the base needs the network: the from-source build uses examples/python-native/libaddr
// (a real ./configure && make && make check && make install) plus a generated C library ("libgen": N
// deterministic C files, compiled with make -j), so the build is long enough to compare with the
// issue's libyaml-from-source figure and identical on every run. The base, Debian with gcc, is made
// once by mmdebstrap and cached in /var/cache/berth-bench.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanups, firstLine, log, must } from './lib.mjs';

/** The name the base gets in every store and dockerd the build benchmarks use. */
export const buildBaseImage = 'bench/debian-build:1';
const cacheDir = '/var/cache/berth-bench';
const baseSpec = { suite: 'bookworm', variant: 'minbase', include: ['gcc', 'make', 'libc6-dev', 'ca-certificates'] };

/** `mirror`, or the host's Debian mirror for the suite (deb822 .sources or a one-line sources.list). */
function hostMirror(mirror) {
  if (mirror) return mirror;
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources')).map((f) => path.join(dir, f)) : [];
  for (const f of files) {
    for (const stanza of readFileSync(f, 'utf8').split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1].split(/\s+/) ?? [];
      if (uri && suites.includes(baseSpec.suite)) return uri;
    }
  }
  const list = existsSync('/etc/apt/sources.list') ? readFileSync('/etc/apt/sources.list', 'utf8') : '';
  const m = new RegExp(`^deb\\s+(?:\\[[^\\]]*\\]\\s+)?(\\S+)\\s+${baseSpec.suite}\\s`, 'm').exec(list);
  return m?.[1] ?? 'http://deb.debian.org/debian';
}

/**
 * The base rootfs (Debian minbase with gcc and make) as one mmdebstrap tarball, cached in
 * /var/cache/berth-bench by its inputs (suite, packages, mirror, mmdebstrap's version); made when it
 * is missing (minutes; needs the archive, from `mirror` or the host's). { tar, inputs, cached }.
 */
export function debianBuildBase({ mirror } = {}) {
  const inputs = { ...baseSpec, mirror: hostMirror(mirror), tool: firstLine('mmdebstrap', ['--version']), format: 'tar' };
  const key = createHash('sha256').update(JSON.stringify(inputs)).digest('hex').slice(0, 16);
  const tar = path.join(cacheDir, `debian-build-${baseSpec.suite}-${key}.tar`);
  if (existsSync(tar)) {
    log(`base rootfs: cached ${tar}`);
    return { tar, inputs, cached: true };
  }
  if (inputs.tool === 'not available') throw new Error('mmdebstrap is not installed (Debian package "mmdebstrap")');
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${tar}.${process.pid}.partial`;
  cleanups.push(() => rmSync(partial, { force: true }));
  log(`base rootfs: mmdebstrap ${baseSpec.suite} from ${inputs.mirror} (once; cached as ${tar})`);
  const t0 = Date.now();
  must('mmdebstrap', [`--variant=${baseSpec.variant}`, `--include=${baseSpec.include.join(',')}`, '--format=tar', baseSpec.suite, partial, inputs.mirror], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(partial, tar);
  log(`base rootfs: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { tar, inputs, cached: false };
}

/** The newest base tarball debianBuildBase() cached, without making one; throws when there is none. */
export function cachedDebianBuildBase() {
  const tars = existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => /^debian-build-bookworm-[0-9a-f]{16}\.tar$/.test(f)) : [];
  if (tars.length === 0) throw new Error(`no base rootfs in ${cacheDir}: run node bench/build.mjs once (it makes it with mmdebstrap)`);
  return path.join(cacheDir, tars.sort()[tars.length - 1]);
}

/** One generated C file: arithmetic kernels that -O2 has real work on (inlining, unrolling, vectorising). */
function genSource(i) {
  const fns = [];
  for (let j = 0; j < 24; j++) {
    const a = (i * 31 + j * 17) % 97 + 3;
    const b = (i * 13 + j * 7) % 61 + 5;
    fns.push(`static uint32_t mix_${j}(uint32_t x) {
  x ^= x >> ${(j % 13) + 3}; x *= 0x${(0x9e3779b1 + i * 2654435761 + j).toString(16).slice(-8)}u; x ^= x << ${(j % 7) + 5};
  return x + ${a}u;
}
uint64_t gen_${i}_${j}(const uint32_t *v, size_t n, uint32_t seed) {
  uint64_t acc = seed;
  uint32_t tab[${b}];
  for (size_t k = 0; k < ${b}; k++) tab[k] = mix_${j}((uint32_t)k * ${a}u + seed);
  for (size_t k = 0; k < n; k++) {
    uint32_t x = v[k] ^ tab[k % ${b}];
    switch (x & 7u) {
      case 0: acc += mix_${j}(x); break;
      case 1: acc ^= (uint64_t)x << ${j % 31}; break;
      case 2: acc *= (x | 1u); break;
      case 3: acc -= x * ${a}u; break;
      case 4: acc += (acc >> ${(j % 11) + 1}) ^ x; break;
      default: acc = (acc << 1) ^ mix_${(j + 1) % 24 === 0 ? 0 : j}(x + ${b}u); break;
    }
  }
  return acc;
}`);
  }
  return `/* Generated by bench/build-context.mjs: file ${i}. */\n#include <stddef.h>\n#include <stdint.h>\n\n${fns.join('\n\n')}\n`;
}

const genMakefile = `# Generated by bench/build-context.mjs.
CC ?= cc
CFLAGS ?= -O2
PREFIX ?= /usr/local
SRCS := $(sort $(wildcard src/*.c))
OBJS := $(SRCS:.c=.o)

all: libgen.so.1

libgen.so.1: $(OBJS)
\t$(CC) -shared -Wl,-soname,libgen.so.1 -o $@ $(OBJS)

%.o: %.c
\t$(CC) $(CFLAGS) -fPIC -c -o $@ $<

install: libgen.so.1
\tinstall -D -m 0755 libgen.so.1 $(DESTDIR)$(PREFIX)/lib/libgen.so.1.0.0
\tln -sf libgen.so.1.0.0 $(DESTDIR)$(PREFIX)/lib/libgen.so.1

.PHONY: all install
`;

function mainDockerfile(baseImage) {
  return `# Generated by bench/build-context.mjs: a from-source C build, the shape of issue 3's story.
FROM ${baseImage} AS build
ENV CFLAGS="-O2" LC_ALL=C.UTF-8
WORKDIR /src
COPY libaddr/ ./libaddr/
COPY gen/ ./gen/
RUN cd libaddr \\
 && ./configure --prefix=/usr/local \\
 && make \\
 && make check \\
 && make install \\
 && ldconfig \\
 && cd ../gen \\
 && make -j"$(nproc)" \\
 && make install PREFIX=/usr/local \\
 && ldconfig

FROM ${baseImage}
COPY --from=build /usr/local/ /usr/local/
RUN ldconfig && rm -f /var/cache/ldconfig/aux-cache
LABEL org.example.bench="berth-build" org.example.libs="libaddr libgen"
ENV LD_LIBRARY_PATH=/usr/local/lib
EXPOSE 8080
USER 10001:10001
WORKDIR /app
CMD ["sh", "-c", "ls /usr/local/lib"]
`;
}

/** Writes the from-source context into dir; returns a one-line description for the report. */
export function generateContext(dir, { repo, baseImage, genFiles }) {
  mkdirSync(path.join(dir, 'gen', 'src'), { recursive: true });
  cpSync(path.join(repo, 'examples', 'python-native', 'libaddr'), path.join(dir, 'libaddr'), { recursive: true });
  for (let i = 0; i < genFiles; i++) writeFileSync(path.join(dir, 'gen', 'src', `g${String(i).padStart(4, '0')}.c`), genSource(i));
  writeFileSync(path.join(dir, 'gen', 'Makefile'), genMakefile);
  writeFileSync(path.join(dir, 'Dockerfile'), mainDockerfile(baseImage));
  return `examples/python-native/libaddr (configure, make, make check, make install) + ${genFiles} generated C files `
    + '(24 kernels each, -O2, make -j$(nproc)); 2 stages, 2 RUNs, 3 COPYs, 6 config instructions';
}

/** FROM + one RUN (the baseline), plus K more trivial RUN steps when k > 0. */
export function stepDockerfile(baseImage, k) {
  const runs = Array.from({ length: k }, (_, i) => `RUN true step-${i + 1}`);
  return [`FROM ${baseImage}`, 'RUN true baseline', ...runs, 'LABEL org.example.bench="berth-build-steps"', ''].join('\n');
}
