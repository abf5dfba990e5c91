#!/usr/bin/env bash
# Generates the project's DEMO certification authority and demo e.firma credentials, shaped like
# SAT's (x500UniqueIdentifier = RFC, serialNumber = CURP, FIEL key usage and EKU, 20-digit ASCII
# serial, PKCS#8 PBES2/PBKDF2-HMAC-SHA1/DES-EDE3-CBC key). Output: static/demo/ (served, so the web
# page can offer them). The demo CA is trusted only when the `confianza_efirma` variable lists
# `demo`; the production configuration never does. Password of every demo key: see DEMO_PASSWORD.
#
# Run once; the output is committed. Re-running makes new keys (and invalidates old signatures).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=static/demo
DEMO_PASSWORD=demo12345
# Ten years from the day the script runs (OpenSSL 3.0 cannot backdate notBefore with x509 -req).
DAYS=3650
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/efirma"

cat > "$WORK/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
string_mask = nombstr
[dn]
CN = AC DEMO avisos - NO VALIDA PARA PRODUCCION
O = Proyecto avisos (demostracion)
OU = Autoridad certificadora de demostracion
C = MX
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
CNF

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ca.key" 2>/dev/null
openssl req -new -x509 -config "$WORK/ca.cnf" -extensions v3_ca -key "$WORK/ca.key" \
  -sha256 -days "$DAYS" -set_serial 0x3930303031303030303030303030303030303030 \
  -outform DER -out "$OUT/ac-demo.cer"
openssl x509 -inform DER -in "$OUT/ac-demo.cer" -out "$WORK/ca.pem"

# number  rfc_field  curp_field  name  role
i=0
issue() {
  local number=$1 rfc_field=$2 curp_field=$3 name=$4 role=$5
  local rfc=${rfc_field%% *}
  local dir="$OUT/efirma/$rfc"
  mkdir -p "$dir"
  local serial_hex
  serial_hex=$(printf '%s' "$number" | od -An -tx1 | tr -d ' \n')
  cat > "$WORK/ee.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
string_mask = nombstr
[dn]
CN = $name
name = $name
O = $name
C = MX
x500UniqueIdentifier = $rfc_field
serialNumber = $curp_field
[v3_ee]
basicConstraints = critical, CA:FALSE
keyUsage = digitalSignature, nonRepudiation, dataEncipherment, keyAgreement
extendedKeyUsage = emailProtection, clientAuth
CNF
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/ee.key" 2>/dev/null
  openssl req -new -config "$WORK/ee.cnf" -key "$WORK/ee.key" -out "$WORK/ee.csr" 2>/dev/null
  openssl x509 -req -in "$WORK/ee.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" \
    -set_serial "0x$serial_hex" -extfile "$WORK/ee.cnf" -extensions v3_ee -sha256 \
    -days "$DAYS" -outform DER -out "$dir/certificado.cer" 2>/dev/null
  openssl pkcs8 -topk8 -in "$WORK/ee.key" -v2 des3 -v2prf hmacWithSHA1 -iter 2048 \
    -passout "pass:$DEMO_PASSWORD" -outform DER -out "$dir/clave.key"
  printf '%s\t%s\t%s\t%s\t%s\n' "$rfc" "$number" "$role" "$name" "$rfc_field" >> "$WORK/index.tsv"
}

issue 90001000000100000001 "EDE200101AB0 / PEPJ800101H4A" " / PEPJ800101HDFRRN09" "EMPRESA DEMOSTRACION SA DE CV" patron
issue 90001000000100000002 "DELP900303MN5" "DELP900303MDFLXR02" "LAURA DELGADO PEREZ" patron
issue 90001000000100000003 "NDE190512XY6 / AIGL850215QR5" " / AIGL850215HJCGRS01" "NOMINAS DEMOSTRACION SA DE CV" desarrollador
issue 90001000000100000004 "SDN180301K23 / PEPJ800101H4A" " / PEPJ800101HDFRRN09" "SISTEMAS DE NOMINA DEMO SC" desarrollador
issue 90001000000100000005 "AIGL850215QR5" "AIGL850215HJCGRS01" "LUIS AGUIRRE GIL" analista

{
  echo "Credenciales e.firma de DEMOSTRACIÓN del proyecto avisos. NO son credenciales del SAT."
  echo "Las emite la AC de demostración (ac-demo.cer), en la que solo confía la configuración local."
  echo "Contraseña de todas las claves privadas: $DEMO_PASSWORD"
  echo
  printf 'RFC\tNo. de certificado\tRol sugerido\tNombre\tx500UniqueIdentifier\n'
  cat "$WORK/index.tsv"
} > "$OUT/LEEME.txt"
echo "Listo: $OUT"
