#!/usr/bin/env bash
# Install (where missing) and start what the test suite needs: PostgreSQL, Redis, Chromium, gettext.
# Prints the DATABASE_URL to use on its last line. Safe to run again.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v pg_ctlcluster >/dev/null && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v msgfmt >/dev/null || need+=(gettext)
fc-list 2>/dev/null | grep -qi "noto sans cjk" || need+=(fonts-noto-cjk)
# Nepali, Thai and Burmese in the browser tests' screenshots (test-artifacts/) rather than empty boxes.
fc-list :lang=ne 2>/dev/null | grep -q . || need+=(fonts-noto-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi

# PostgreSQL: the Debian cluster, a role that may create the test database.
cluster=$(pg_lsclusters --no-header | head -1)
if [ -z "$cluster" ]; then
  version=$(ls /usr/lib/postgresql | sort -V | tail -1)
  $SUDO pg_createcluster "$version" main >&2
  cluster=$(pg_lsclusters --no-header | head -1)
fi
read -r version name port status _ <<<"$cluster"
if [ "$status" != "online" ]; then
  $SUDO pg_ctlcluster "$version" "$name" start >&2
fi
as_postgres() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
for _ in $(seq 1 30); do as_postgres psql -p "$port" -qtAc "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
if [ "$(as_postgres psql -p "$port" -qtAc "select 1 from pg_roles where rolname='madoguchi'")" != "1" ]; then
  as_postgres psql -p "$port" -qc "CREATE ROLE madoguchi LOGIN PASSWORD 'madoguchi' CREATEDB" >&2
fi
if [ "$(as_postgres psql -p "$port" -qtAc "select 1 from pg_database where datname='madoguchi'")" != "1" ]; then
  as_postgres psql -p "$port" -qc "CREATE DATABASE madoguchi OWNER madoguchi" >&2
fi
echo "postgres://madoguchi:madoguchi@127.0.0.1:${port}/madoguchi"
