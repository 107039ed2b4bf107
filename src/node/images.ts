// Images → host programs. A Pod's image is not pulled: it names a program already on the host.
export interface ImageMapping {
  /** Replaced by the container's `command`, as Docker's ENTRYPOINT is. */
  entrypoint?: string[];
  /** Replaced by the container's `args`, as Docker's CMD is. */
  cmd?: string[];
  /** Extra programs on PATH: name → host program (an absolute path or a command line prefix). */
  shims?: Record<string, string>;
  /** Environment the image would set. */
  env?: Record<string, string>;
  /** A script body for a shim, instead of a program (used by built-ins such as argosay). */
  scripts?: Record<string, string>;
}

/**
 * Pattern → mapping. A pattern is a repository (`alpine`, `argoproj/argosay`, `quay.io/org/img`) with an
 * optional `:tag`; `*` matches anything. Registry `docker.io` and the `library/` prefix are ignored, and a
 * pattern without a tag matches every tag.
 */
export type ImageMapConfig = Record<string, ImageMapping>;

// argosay v2 (github.com/argoproj/argosay), re-implemented in POSIX sh.
export const ARGOSAY_V2 = `#!/bin/sh
# argosay v2, re-implemented for Argosy
set -e
dur() {
  case "$1" in
    *ms) echo "0.$(printf '%03d' "\${1%ms}")" ;;
    *h) echo $(( \${1%h} * 3600 )) ;;
    *m) echo $(( \${1%m} * 60 )) ;;
    *s) echo "\${1%s}" ;;
    *) echo "$1" ;;
  esac
}
if [ $# -eq 0 ]; then echo "hello argo"; exit 0; fi
cmd="$1"; shift
case "$cmd" in
  echo)
    if [ $# -eq 0 ]; then echo "hello argo"
    elif [ $# -eq 1 ]; then printf '%s\\n' "$1"
    else mkdir -p "$(dirname "$2")"; printf '%s' "$1" > "$2"; fi ;;
  cat) cat "$@" ;;
  exit) exit "\${1:-0}" ;;
  sleep) sleep "$(dur "\${1:-0}")" ;;
  assert_contains)
    if ! grep -q -- "$2" "$1"; then echo "expected $1 to contain $2" >&2; exit 1; fi ;;
  assert_file_exists) [ -e "$1" ] || { echo "expected $1 to exist" >&2; exit 1; } ;;
  sh) exec sh "$@" ;;
  *) echo "unknown command $cmd" >&2; exit 1 ;;
esac
`;

const NODE_ENTRYPOINT = `#!/bin/sh
set -e
if [ "\${1#-}" != "\${1}" ] || [ -z "$(command -v "\${1}")" ] || { [ -f "\${1}" ] && ! [ -x "\${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
`;

const sh = { cmd: ['sh'] };
export const BUILTIN_IMAGE_MAP: ImageMapConfig = {
  alpine: sh,
  busybox: sh,
  debian: sh,
  ubuntu: sh,
  'python': { cmd: ['python3'], shims: { python: '/usr/bin/python3' }, env: { PYTHONUNBUFFERED: '1', LANG: 'C.UTF-8' } },
  // As the official image: args that start with '-' or are not a command run under node.
  'node': { entrypoint: ['docker-entrypoint.sh'], cmd: ['node'], scripts: { 'docker-entrypoint.sh': NODE_ENTRYPOINT } },
  'argoproj/argosay:v2': { entrypoint: ['argosay'], scripts: { argosay: ARGOSAY_V2 } },
  'argoproj/argosay:v1': { cmd: ['cowsay'], shims: { cowsay: '/usr/games/cowsay' } },
  'argoproj/argosay': { entrypoint: ['argosay'], scripts: { argosay: ARGOSAY_V2 } },
  'docker/whalesay': { cmd: ['cowsay'], shims: { cowsay: '/usr/games/cowsay' } },
  // Single-tool images: the host's own binary.
  'stedolan/jq': { entrypoint: ['jq'] },
  'curlimages/curl': { entrypoint: ['curl'] },
};

/** `docker.io/library/alpine:3.23` → { repo: 'alpine', tag: '3.23' }. */
export function parseImage(image: string): { repo: string; tag: string } {
  let rest = image.trim();
  let tag = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    tag = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > slash) {
    if (at < 0) tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    if (parts[0] === 'docker.io' || parts[0] === 'index.docker.io' || parts[0] === 'registry-1.docker.io') parts.shift();
  }
  if (parts.length > 1 && parts[0] === 'library') parts.shift();
  return { repo: parts.join('/'), tag };
}

const globRe = (glob: string) => new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');

function matches(pattern: string, image: { repo: string; tag: string }): boolean {
  const p = parseImage(pattern);
  const hasTag = /:[^/]*$/.test(pattern) || pattern.includes('@');
  if (!globRe(p.repo).test(image.repo)) return false;
  return !hasTag || globRe(p.tag).test(image.tag);
}

export interface ResolvedImage {
  pattern: string;
  mapping: ImageMapping;
}

/** Answers by user table (or none) and image: every Pod asks, and a lookup compiles a dozen patterns. */
const resolved = new WeakMap<ImageMapConfig, Map<string, ResolvedImage | undefined>>();
const NO_USER_MAP: ImageMapConfig = {};

/** The mapping for an image: user entries first (most specific first), then the built-ins. */
export function resolveImage(image: string, user: ImageMapConfig | undefined): ResolvedImage | undefined {
  let byImage = resolved.get(user ?? NO_USER_MAP);
  if (!byImage) resolved.set(user ?? NO_USER_MAP, (byImage = new Map()));
  if (byImage.has(image)) return byImage.get(image);
  const answer = lookupImage(image, user);
  if (byImage.size > 1000) byImage.clear();
  byImage.set(image, answer);
  return answer;
}

function lookupImage(image: string, user: ImageMapConfig | undefined): ResolvedImage | undefined {
  const parsed = parseImage(image);
  for (const table of [user ?? {}, BUILTIN_IMAGE_MAP]) {
    const patterns = Object.keys(table).sort((a, b) => b.length - a.length);
    for (const pattern of patterns) if (matches(pattern, parsed)) return { pattern, mapping: table[pattern] };
  }
  return undefined;
}

export function unmappedImageMessage(image: string): string {
  const { repo } = parseImage(image);
  return `image "${image}" has no host mapping: Argosy runs containers as host programs; map it with the node agent's imageMap option, e.g. { "${repo}": { "cmd": ["sh"] } } (pattern → entrypoint/cmd/shims/env)`;
}
