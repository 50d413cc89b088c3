# SPDX-License-Identifier: MIT
"""A throw-away certificate authority for the emulator, made with openssl(1).

Each run gets a fresh CA and a server certificate signed by it, so no test
ever trusts a key that outlived its run. Both are backdated by a day: a
client whose clock lags (qemu-user, a board without RTC) must still accept
them. `openssl req -x509` cannot backdate before OpenSSL 3.4, hence
`openssl ca` with -startdate/-enddate and a minimal database.
"""

import datetime
import os
import secrets
import shutil
import subprocess

CA_CERT = "ca.pem"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"

_OPENSSL_TIMEOUT = 30  # seconds for any one openssl invocation

# EC P-256: key generation is instant, and mbedTLS 2.28 and 3.6 both verify
# ECDSA-SHA256 chains out of the box. The loopback addresses appear twice:
# as iPAddress names (RFC 5280, what OpenSSL and mbedTLS >= 3.5 check) and
# as dNSName strings, because mbedTLS 2.28 matches a hostname only against
# dNSName entries and would refuse "127.0.0.1" otherwise.
_CONFIG = """\
[ ca ]
default_ca = emu_ca
[ emu_ca ]
database = db/index.txt
new_certs_dir = db
serial = db/serial
default_md = sha256
policy = emu_policy
unique_subject = no
copy_extensions = none
[ emu_policy ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1,DNS:127.0.0.1,DNS:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


def _openssl(workdir, *args):
    proc = subprocess.run(["openssl", *args], cwd=workdir, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=_OPENSSL_TIMEOUT)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], proc.stderr.decode(errors="replace")))


def _asn1_time(moment):
    return moment.strftime("%Y%m%d%H%M%SZ")


def make_certificates(state_dir, valid_days=30):
    """Write ca.pem, server.pem and server.key into state_dir.

    The CA's private key is deleted once the server certificate is signed:
    nothing else ever needs it.
    """
    workdir = os.path.join(state_dir, "ca-work")
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(os.path.join(workdir, "db"))
    try:
        with open(os.path.join(workdir, "ca.cnf"), "w") as f:
            f.write(_CONFIG)
        open(os.path.join(workdir, "db", "index.txt"), "w").close()
        with open(os.path.join(workdir, "db", "serial"), "w") as f:
            # A random positive serial (an even number of hex digits, as
            # openssl wants) keeps certificates of different runs distinct.
            f.write("%032x\n" % (secrets.randbits(120) | 1 << 124))

        now = datetime.datetime.now(datetime.timezone.utc)
        start = _asn1_time(now - datetime.timedelta(days=1))
        end = _asn1_time(now - datetime.timedelta(days=1) + datetime.timedelta(days=valid_days))
        run_id = secrets.token_hex(4)

        _openssl(workdir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", "ca.key")
        _openssl(workdir, "req", "-new", "-key", "ca.key", "-subj",
                 "/CN=wecom-emulator test CA %s" % run_id, "-out", "ca.csr")
        _openssl(workdir, "ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "ca.key",
                 "-in", "ca.csr", "-extensions", "v3_ca", "-startdate", start, "-enddate", end,
                 "-notext", "-out", "ca.pem")
        _openssl(workdir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", "server.key")
        _openssl(workdir, "req", "-new", "-key", "server.key", "-subj", "/CN=localhost",
                 "-out", "server.csr")
        _openssl(workdir, "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem",
                 "-keyfile", "ca.key", "-in", "server.csr", "-extensions", "v3_server",
                 "-startdate", start, "-enddate", end, "-notext", "-out", "server.pem")

        for name in (CA_CERT, SERVER_CERT, SERVER_KEY):
            os.replace(os.path.join(workdir, name), os.path.join(state_dir, name))
        os.chmod(os.path.join(state_dir, SERVER_KEY), 0o600)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
