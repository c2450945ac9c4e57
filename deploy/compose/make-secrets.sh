#!/bin/sh
# The secret files compose.yaml mounts, made once with random values (never committed).
set -eu
cd "$(dirname "$0")/../.."
mkdir -p .secrets
umask 077
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
[ -s .secrets/secret_key ] || random > .secrets/secret_key
[ -s .secrets/postgres_password ] || random > .secrets/postgres_password
[ -s .secrets/grafana_admin_password ] || random > .secrets/grafana_admin_password
printf 'postgresql+asyncpg://signoff:%s@postgres:5432/signoff\n' \
  "$(cat .secrets/postgres_password)" > .secrets/database_url
echo "secrets in .secrets/ (Grafana's admin password: .secrets/grafana_admin_password)"
