#!/bin/sh
# One-shot (compose service `secrets`): the API tokens of the compose services, made on the first
# `docker compose up` and kept in the `secrets` volume. The registry reads tokens.json (hashes only);
# each client reads its own NAME.token through TRAINYARD_TOKEN_FILE. Delete the volume to rotate them.
set -eu
dir=/var/lib/trainyard/secrets
umask 077
if [ -f "$dir/tokens.json" ]; then
  echo "tokens exist in $dir"
  exit 0
fi
rm -f "$dir/tokens.json.partial"
for entry in coordinator:approver demo:publisher replica:reader; do
  name=${entry%%:*}
  role=${entry#*:}
  trainyard tokens create --file "$dir/tokens.json.partial" --name "$name" --role "$role" >"$dir/$name.token"
done
mv "$dir/tokens.json.partial" "$dir/tokens.json"
echo "tokens created in $dir"
