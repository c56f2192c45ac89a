# TLS material and checks for the tls-* scenarios of bench/run.sh. Sourced, not executed.

# Writes an ECDSA P-256 key and a self-signed certificate for localhost and 127.0.0.1 into
# DIR (key.pem, cert.pem, and both in one file, combined.pem, the form HAProxy reads); sets
# TLS_CERT, TLS_KEY and TLS_COMBINED. A fresh pair per run: nothing secret is kept.
# usage: tls_make_cert DIR
tls_make_cert() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >"$dir/openssl.log" 2>&1 \
        || { cat "$dir/openssl.log" >&2; die "openssl could not make the benchmark certificate"; }
    cat "$dir/cert.pem" "$dir/key.pem" >"$dir/combined.pem"
    # nginx workers drop root privileges and read the files after start-up.
    chmod 755 "$dir"
    chmod 644 "$dir"/*.pem
    TLS_CERT=$dir/cert.pem TLS_KEY=$dir/key.pem TLS_COMBINED=$dir/combined.pem
}

# Builds bench/tls/no-resume.c into DIR/no-resume.so and sets NO_RESUME_LIB: preloaded into
# the load generator of scenarios with SC_TLS_RESUME=0, so that every connection does a full
# handshake.
# usage: tls_build_no_resume DIR
tls_build_no_resume() {
    local dir=$1
    mkdir -p "$dir"
    cc -O2 -shared -fPIC -o "$dir/no-resume.so" "$BENCH/tls/no-resume.c" -ldl >"$dir/cc.log" 2>&1 \
        || { cat "$dir/cc.log" >&2; die "building bench/tls/no-resume.c failed"; }
    NO_RESUME_LIB=$dir/no-resume.so
}

# Protocol, cipher and key exchange group a TLS listener negotiates with a default client.
# usage: tls_negotiated PORT
tls_negotiated() {
    local out
    out=$(openssl s_client -connect "127.0.0.1:$1" -servername localhost </dev/null 2>/dev/null) || true
    # "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" and "Server Temp Key: X25519, 253 bits"
    awk '
        /^New, / && !proto { proto = $2; sub(/,$/, "", proto); cipher = $NF }
        /^Server Temp Key:/ { sub(/^Server Temp Key: */, ""); group = $0 }
        END { printf "%s %s%s", proto, cipher, group ? " (" group ")" : "" }' <<<"$out"
}
