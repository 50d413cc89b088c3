/* SPDX-License-Identifier: MIT */
/* Certificates made at test time with mbedTLS: a CA and server
 * certificates signed by it, with chosen names and validity. */
#ifndef CERTS_H
#define CERTS_H

#include <stddef.h>

#define CERT_PEM_MAX 4096

typedef struct test_cert {
    char cert_pem[CERT_PEM_MAX];
    char key_pem[CERT_PEM_MAX];
} test_cert_t;

/* A self-signed CA named cn. 0 or an mbedTLS error. */
int certs_make_ca(test_cert_t *ca, const char *cn);

/* An intermediate CA named cn, signed by ca. */
int certs_make_intermediate(test_cert_t *out, const test_cert_t *ca,
                            const char *cn);

/* A server certificate for cn, signed by ca (or self-signed when ca is
 * NULL), valid from not_before to not_after ("YYYYMMDDhhmmss"). */
int certs_make_server(test_cert_t *out, const test_cert_t *ca, const char *cn,
                      const char *not_before, const char *not_after);

#endif
