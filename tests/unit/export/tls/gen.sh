#!/bin/sh
# Regenerates the test PKI of tests/unit/export (run once; output checked in).
# Valid for 100 years so the tests never start failing on a date.
#   ca.pem/ca.key          test CA
#   server.pem/server.key  CN/SAN augur-test.invalid (not 127.0.0.1: the
#                          tests reach it through tls.server_name)
#   client.pem/client.key  client certificate signed by the CA (mTLS)
#   other-ca.pem           an unrelated CA (verification must fail with it)
set -eu
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days $days -subj "/CN=augur test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days $days \
  -subj "/CN=unrelated CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
rm -f other-ca.key
for who in server client; do
  openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj "/CN=augur-test.invalid" 2>/dev/null
  if [ $who = server ]; then ext="subjectAltName=DNS:augur-test.invalid
extendedKeyUsage=serverAuth"; else ext="extendedKeyUsage=clientAuth"; fi
  printf '%s\n' "$ext" > $who.ext
  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $who.pem -days $days \
    -extfile $who.ext 2>/dev/null
  rm -f $who.csr $who.ext
done
rm -f ca.srl
