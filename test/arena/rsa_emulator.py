# SPDX-License-Identifier: MIT
"""The WeCom emulator serving an RSA-2048 chain, as public CAs issue them.

    python3 rsa_emulator.py --state-dir DIR [wecom_emulator.py options]

Same emulator, same command line; only its certificates differ: an RSA-2048
root (DIR/ca.pem), an RSA-2048 intermediate and an RSA-2048 server key, the
server sending leaf + intermediate. That is the shape of the chain
qyapi.weixin.qq.com presents, and it costs mbedTLS more memory than the
emulator's own EC P-256 pair (a bigger chain to parse and RSA arithmetic),
so the smallest arena is searched against it (test/arena/search.sh).
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))

import certs  # noqa: E402
import wecom_emulator  # noqa: E402

_EXT = """\
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_int ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
[ v3_server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


def _ssl(cwd, *args):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=60)


def make_rsa_chain(state_dir, valid_days=30):
    """Write ca.pem, server.pem (leaf + intermediate) and server.key."""
    work = os.path.join(state_dir, "rsa-work")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "ext.cnf"), "w") as f:
        f.write(_EXT)
    days = str(valid_days)
    for name in ("ca", "int", "server"):
        _ssl(work, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", name + ".key")
    _ssl(work, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=arena test RSA root",
         "-days", days, "-sha256", "-config", "ext.cnf", "-extensions", "v3_ca",
         "-out", "ca.pem")
    _ssl(work, "req", "-new", "-key", "int.key", "-subj", "/CN=arena test RSA intermediate",
         "-out", "int.csr")
    _ssl(work, "x509", "-req", "-in", "int.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-set_serial", "2", "-days", days, "-sha256", "-extfile", "ext.cnf",
         "-extensions", "v3_int", "-out", "int.pem")
    _ssl(work, "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr")
    _ssl(work, "x509", "-req", "-in", "server.csr", "-CA", "int.pem", "-CAkey", "int.key",
         "-set_serial", "3", "-days", days, "-sha256", "-extfile", "ext.cnf",
         "-extensions", "v3_server", "-out", "leaf.pem")
    with open(os.path.join(state_dir, certs.SERVER_CERT), "w") as out:
        for name in ("leaf.pem", "int.pem"):
            with open(os.path.join(work, name)) as f:
                out.write(f.read())
    os.replace(os.path.join(work, "ca.pem"), os.path.join(state_dir, certs.CA_CERT))
    os.replace(os.path.join(work, "server.key"), os.path.join(state_dir, certs.SERVER_KEY))
    os.chmod(os.path.join(state_dir, certs.SERVER_KEY), 0o600)
    for name in os.listdir(work):
        os.remove(os.path.join(work, name))
    os.rmdir(work)


if __name__ == "__main__":
    certs.make_certificates = make_rsa_chain
    sys.exit(wecom_emulator.main())
