/**
 * Well-known reasons why two builds of one Dockerfile differ, by the path of a differing file (or
 * its kind: a compiled ELF file, a difference only in time): each with what makes the file differ
 * and how to keep it out of the layer. `--check-reproducible` adds the first that applies to each
 * file it reports.
 */
import type { ChangeAspect } from '../api/index.js';

interface Culprit {
  test: RegExp;
  hint: string;
}

const culprits: Culprit[] = [
  {
    test: /^\/var\/cache\/apt\/[^/]*\.bin$/,
    hint: "apt's binary package caches, rebuilt by every apt-get update and install, differ from run to run: delete them in the same RUN (rm -f /var/cache/apt/*.bin) or keep /var/cache/apt in a cache mount (RUN --mount=type=cache,target=/var/cache/apt)",
  },
  {
    test: /^\/var\/cache\/apt\/archives\//,
    hint: "downloaded .deb files: delete them in the same RUN (apt-get clean) or keep /var/cache/apt in a cache mount",
  },
  {
    test: /^\/var\/lib\/apt\/lists\//,
    hint: "apt's package lists are what the mirror served at that moment: rm -rf /var/lib/apt/lists/* in the same RUN, or keep /var/lib/apt in a cache mount",
  },
  {
    test: /^\/var\/log\/(apt\/|dpkg\.log$|alternatives\.log$|bootstrap\.log$|fontconfig\.log$)/,
    hint: 'apt, dpkg and update-alternatives log the time of each run: delete the logs in the same RUN (rm -f /var/log/apt/*.log /var/log/dpkg.log /var/log/alternatives.log)',
  },
  {
    test: /^\/var\/cache\/ldconfig\/aux-cache$/,
    hint: "ldconfig's auxiliary cache records the inode numbers and times of the libraries it scanned: delete it after ldconfig, in the same RUN (rm -f /var/cache/ldconfig/aux-cache)",
  },
  {
    test: /^\/var\/cache\/debconf\/[^/]*-old$/,
    hint: "debconf's backup copies of its database: delete them in the same RUN (rm -f /var/cache/debconf/*-old)",
  },
  {
    test: /^\/var\/lib\/dpkg\/[^/]*-old$/,
    hint: "dpkg's backup copies of its status: delete them in the same RUN (rm -f /var/lib/dpkg/*-old)",
  },
  {
    test: /(\/__pycache__\/|\.py[co]$)/,
    hint: 'Python bytecode records the time of its source (and is written in whatever order the compiler ran): set PYTHONDONTWRITEBYTECODE=1 for the step, or compile with python3 -m compileall --invalidation-mode unchecked-hash',
  },
  {
    test: /^\/(etc\/machine-id|var\/lib\/dbus\/machine-id)$/,
    hint: 'a machine id generated during the build: empty it in the same RUN (: > /etc/machine-id)',
  },
  {
    test: /^\/etc\/ssh\/ssh_host_/,
    hint: 'SSH host keys generated at install: delete them in the same RUN and generate them when the container starts',
  },
  {
    test: /^\/etc\/(shadow|gshadow|passwd|group)-?$/,
    hint: 'useradd and passwd write the day of the change into /etc/shadow (and keep backups with a trailing -): run them with SOURCE_DATE_EPOCH set in the step\'s environment (ARG SOURCE_DATE_EPOCH) and delete the backups (rm -f /etc/*-)',
  },
  {
    test: /^\/usr\/lib\/debug\/\.build-id\//,
    hint: 'build ids name the exact bytes of a compiled file: they differ whenever the compiled files differ (build paths, dates, the order of inputs)',
  },
  {
    test: /^\/(tmp|var\/tmp|root\/\.cache|root\/\.npm|root\/\.cargo\/registry)\//,
    hint: 'temporary files and caches left by the step: delete them in the same RUN, or put the directory in a cache or tmpfs mount',
  },
  {
    test: /\.(gz|tgz)$/,
    hint: 'gzip records the file name and time in its header: compress with gzip -n (and tar --mtime with a fixed date, --sort=name)',
  },
  {
    test: /\.(zip|jar|whl|egg)$/,
    hint: 'zip archives record each member\'s time and the order it was added: build them from sorted inputs with fixed times (SOURCE_DATE_EPOCH, strip-nondeterminism)',
  },
  {
    test: /\.a$/,
    hint: 'ar archives record each member\'s time, owner and mode unless made deterministic: ar D (Debian\'s default) or ZERO_AR_DATE=1',
  },
];

/** A date or a time of day as programs write them: 2024-05-01, 12:34:56, Wed May  1 2024, seconds since 2001. */
const datePattern = /\b(19|20)\d\d[-/]\d\d[-/]\d\d\b|\b\d\d:\d\d:\d\d\b|\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +(\d{1,2} +)?(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\b1[0-9]{9}\b/;

/**
 * A hint for a file that differs between two builds, or undefined when nothing is known about it.
 * `changedLines`: for a small text file, the lines that differ (a unified diff's - and + lines).
 */
export function culpritHint(path: string, aspects: readonly ChangeAspect[], elf: boolean, changedLines: readonly string[] = []): string | undefined {
  for (const c of culprits) if (c.test.test(path)) return c.hint;
  if (changedLines.some((l) => datePattern.test(l))) {
    return 'the file records when it was made (a date or time in the lines that differ): have the tool use SOURCE_DATE_EPOCH (ARG SOURCE_DATE_EPOCH makes it part of the step\'s environment) or remove the date';
  }
  if (aspects.length > 0 && aspects.every((a) => a === 'mtime')) {
    return 'only the time differs: times later than SOURCE_DATE_EPOCH are clamped to it, older ones are kept as the step set them (tar -x, cp -p, touch -d, a file copied from the context with its time): set them to a fixed time in the step';
  }
  if (elf && (aspects.length === 0 || aspects.includes('content'))) {
    return 'a compiled file: look for embedded dates (__DATE__, __TIME__), build paths (-ffile-prefix-map=$PWD=.), the order of inputs (sort file lists) and the build id, which changes with any of them';
  }
  return undefined;
}
