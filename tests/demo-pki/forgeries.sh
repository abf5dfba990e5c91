#!/usr/bin/env bash
# Forged e.firma look-alikes for the end-to-end refusal tests (tests/e2e/fixtures/forgeries):
#  autofirmado/  a self-signed certificate with the demo employer's exact subject and FIEL extensions;
#  ac-falsa/     a certificate with the same subject issued by a forged CA whose DN copies the demo CA.
# Both must be refused by the service. Password of both keys: demo12345.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=tests/e2e/fixtures/forgeries
REAL=static/demo/efirma/EDE200101AB0/certificado.cer
CA=static/demo/ac-demo.cer
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/autofirmado" "$OUT/ac-falsa"

subject() { openssl x509 -inform DER -in "$1" -noout -subject -nameopt RFC2253 | sed 's/^subject=//'; }
to_slash() { # RFC 2253 (reversed, comma separated) -> openssl -subj form
  python3 -c 'import sys,re; parts=re.split(r"(?<!\\),", sys.argv[1]); print("/"+"/".join(p.replace("/", "\\/") for p in reversed(parts)))' "$1"
}
SUBJ=$(to_slash "$(subject "$REAL")" | sed 's#/2.5.4.41=#/name=#')
CASUBJ=$(to_slash "$(openssl x509 -inform DER -in "$CA" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')")
SERIAL=0x$(openssl x509 -inform DER -in "$REAL" -noout -serial | cut -d= -f2)

cat > "$WORK/ext.cnf" <<CNF
[v3_ee]
basicConstraints = critical, CA:FALSE
keyUsage = digitalSignature, nonRepudiation, dataEncipherment, keyAgreement
extendedKeyUsage = emailProtection, clientAuth
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
CNF

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
enc() { openssl pkcs8 -topk8 -in "$1" -v2 des3 -v2prf hmacWithSHA1 -iter 2048 -passout pass:demo12345 -outform DER -out "$2"; }

# Self-signed look-alike.
key "$WORK/self.key"
openssl req -new -x509 -key "$WORK/self.key" -subj "$SUBJ" -set_serial "$SERIAL" -days 3650 \
  -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n') \
  -extensions v3_ee -addext "basicConstraints=critical,CA:FALSE" 2>/dev/null -outform DER -out "$OUT/autofirmado/certificado.cer" \
  || openssl req -new -x509 -key "$WORK/self.key" -subj "$SUBJ" -set_serial "$SERIAL" -days 3650 \
       -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n[v3_ee]\nkeyUsage=digitalSignature,nonRepudiation,dataEncipherment,keyAgreement\nextendedKeyUsage=emailProtection,clientAuth\n') \
       -extensions v3_ee -outform DER -out "$OUT/autofirmado/certificado.cer"
enc "$WORK/self.key" "$OUT/autofirmado/clave.key"

# Forged CA with the demo CA's DN, and a certificate it issues.
key "$WORK/ca.key"
openssl req -new -x509 -key "$WORK/ca.key" -subj "$CASUBJ" -days 3650 \
  -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n[v3_ca]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n') \
  -extensions v3_ca -out "$WORK/ca.pem"
key "$WORK/ee.key"
openssl req -new -key "$WORK/ee.key" -subj "$SUBJ" -out "$WORK/ee.csr" \
  -config <(printf '[req]\ndistinguished_name=dn\nstring_mask=nombstr\n[dn]\n')
openssl x509 -req -in "$WORK/ee.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -set_serial "$SERIAL" \
  -extfile "$WORK/ext.cnf" -extensions v3_ee -sha256 -days 3650 -outform DER \
  -out "$OUT/ac-falsa/certificado.cer" 2>/dev/null
enc "$WORK/ee.key" "$OUT/ac-falsa/clave.key"
echo "Listo: $OUT"
