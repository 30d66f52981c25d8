#!/usr/bin/env bash
# Makes sure the test suite's real components are here: Debian chromium, PostgreSQL answering on
# 127.0.0.1:5432 with trust auth and a database `test`, Redis on 6379 and RabbitMQ on 5672 (guest/guest).
# Installs them from Debian's packages when absent.
set -euo pipefail

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then
  echo "ci: installing Debian chromium"
  apt_install chromium
fi

# The client tools (pg_isready, psql) are needed even when a server already answers.
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_isready >/dev/null 2>&1; then
  echo "ci: installing the PostgreSQL client"
  apt_install postgresql-client
fi

pg_answers() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! pg_answers; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "ci: installing PostgreSQL from Debian's packages"
    apt_install postgresql postgresql-client
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -q "liuyan-harvester tests" "$hba"; then
    # Loopback-only trust for the test database, as on the project's machines.
    sed -i '1i host all all 127.0.0.1/32 trust # liuyan-harvester tests' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || pg_ctlcluster "$version" main restart
  for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
  pg_answers || { echo "ci: PostgreSQL did not start" >&2; exit 1; }
fi

if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname='test'" | grep -q 1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc "create database test"
fi
echo "ci: chromium and PostgreSQL ready"

# Redis (the Celery broker and result store of distributed harvests) on 127.0.0.1:6379.
# The distributed tests also start private Redis servers and RabbitMQ virtual hosts: the binaries must be here.
command -v redis-server >/dev/null 2>&1 || { echo "ci: installing Redis from Debian's packages"; apt_install redis-server; }
command -v rabbitmqctl >/dev/null 2>&1 || { echo "ci: installing RabbitMQ from Debian's packages"; apt_install rabbitmq-server; }
redis_answers() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null; }
if ! redis_answers; then
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save '' --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis_answers && break; sleep 1; done
  redis_answers || { echo "ci: Redis did not start" >&2; exit 1; }
fi

# RabbitMQ (the other Celery broker, tested once) on 127.0.0.1:5672, guest/guest.
rabbit_answers() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! rabbit_answers; then
  rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 90); do rabbit_answers && break; sleep 1; done
  rabbit_answers || { echo "ci: RabbitMQ did not start" >&2; exit 1; }
fi
echo "ci: Redis and RabbitMQ ready"
