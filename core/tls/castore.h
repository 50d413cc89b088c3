/* SPDX-License-Identifier: MIT */
/*
 * The trust store: CA certificates looked up when a chain is verified,
 * not parsed up front. Private to the library.
 *
 * The system bundle holds some 140 roots; parsed whole by mbedTLS it costs
 * about 445 KB of heap, for the one or two roots a connection needs. So a
 * CA file is only checked at init (it holds a certificate) and
 * streamed through a buffer the owner lends (the client's I/O buffer,
 * idle while a connection is set up) at each full handshake: the certificates
 * whose subject names an issuer of the peer's chain are parsed (a few KB),
 * and the chain is verified against them by mbedTLS's own
 * mbedtls_x509_crt_verify_with_profile(), with the same profile and host
 * name. Every trusted certificate mbedTLS could use as a parent names an
 * issuer of the chain, so the outcome is the one the whole bundle gives.
 *
 * CA material in memory (ca_pem) and a directory (ca_path) are parsed at
 * init as before: the caller chose what they hold. The CA file is read
 * with C stdio, as mbedtls_x509_crt_parse_file() did (MBEDTLS_FS_IO).
 */
#ifndef WECOM_CORE_CASTORE_H
#define WECOM_CORE_CASTORE_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/x509_crt.h>

#include "wecom/media.h" /* wecom_tls_config_t */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wecom_castore {
    /* ca_pem and ca_path, parsed at init (empty when neither is set). */
    mbedtls_x509_crt fixed;
    /* The candidates of the verification under way; empty otherwise, so
     * that it also serves as the handshake's (empty) trust list. */
    mbedtls_x509_crt found;
    /* The owner's buffer, lent while the store reads the CA file (at
     * init and in a verification): WECOM_CA_READ_CHUNK bytes of the file
     * at a time, the rest for the certificate being decoded (a larger
     * one is skipped: the system bundle's largest is 2007 bytes). */
    unsigned char *scratch;
    size_t scratch_len;
    char file[WECOM_CA_PATH_MAX]; /* the CA file streamed, "" for none */
} wecom_castore_t;

/* Take the trust anchors of cfg (with none set, WECOM_DEFAULT_CA_FILE):
 * parse ca_pem and ca_path, check that the CA file holds a certificate,
 * and keep scratch for reading it again at each verification.
 * WECOM_ERR_TLS_CA_LOAD when a source cannot be read (or a path is too
 * long), WECOM_ERR_TLS_CA_EMPTY when the CA file holds no certificate
 * (that fits the scratch buffer). */
wecom_err_t wecom__castore_init(wecom_castore_t *s,
                               const wecom_tls_config_t *cfg,
                               unsigned char *scratch, size_t scratch_len);

/* The trust list to hand mbedTLS's handshake: empty, so that the chain
 * is judged by wecom__castore_verify() alone (see core/tls/tls.c). */
mbedtls_x509_crt *wecom__castore_empty(wecom_castore_t *s);

/* Verify chain (the peer's, leaf first) for host: find its candidate
 * roots, then mbedtls_x509_crt_verify_with_profile(). *flags gets
 * mbedTLS's verification flags (0: trusted). Returns 0 when the
 * verification ran (whatever the flags), or WECOM_ERR_TLS_CA_LOAD when
 * the CA file could no longer be read. */
wecom_err_t wecom__castore_verify(wecom_castore_t *s, mbedtls_x509_crt *chain,
                                 const mbedtls_x509_crt_profile *profile,
                                 const char *host, uint32_t *flags);

void wecom__castore_free(wecom_castore_t *s);

#ifdef __cplusplus
}
#endif

#endif
