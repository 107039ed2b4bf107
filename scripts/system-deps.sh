#!/usr/bin/env bash
# Host programs the tests run for real: bubblewrap (the node agent's sandbox) and cowsay (the
# whalesay/argosay:v1 images). Installed from Debian when missing and we are root; otherwise we say
# what is missing and carry on (the agent then runs without isolation, and says so).
set -u
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
[ -x /usr/games/cowsay ] || command -v cowsay >/dev/null 2>&1 || missing+=(cowsay)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "argosy: installing ${missing[*]} from Debian for the tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null 2>&1 || echo "argosy: could not install ${missing[*]}" >&2
else
  echo "argosy: missing ${missing[*]}; install them (e.g. apt-get install ${missing[*]}) for the full test suite" >&2
fi
exit 0
