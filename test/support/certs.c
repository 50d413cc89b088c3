/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

#include "certs.h"
#include "wecom/posix.h"

static int rng_setup(mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_MAJOR >= 3 && defined(MBEDTLS_PSA_CRYPTO_C)
    if (psa_crypto_init() != PSA_SUCCESS)
        return -1;
#endif
    return mbedtls_ctr_drbg_seed(drbg, wecom_posix_entropy, NULL,
                                 (const unsigned char *)"certs", 5);
}

static int gen_key(mbedtls_pk_context *key, mbedtls_ctr_drbg_context *drbg)
{
    int rc = mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
    if (rc != 0)
        return rc;
    return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*key),
                               mbedtls_ctr_drbg_random, drbg);
}

static int load_key(mbedtls_pk_context *key, const char *pem,
                    mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_pk_parse_key(key, (const unsigned char *)pem,
                                strlen(pem) + 1, NULL, 0,
                                mbedtls_ctr_drbg_random, drbg);
#else
    (void)drbg;
    return mbedtls_pk_parse_key(key, (const unsigned char *)pem,
                                strlen(pem) + 1, NULL, 0);
#endif
}

static int set_serial(mbedtls_x509write_cert *crt, unsigned char serial)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
    unsigned char raw[1] = { serial };
    return mbedtls_x509write_crt_set_serial_raw(crt, raw, 1);
#else
    mbedtls_mpi s;
    int rc;
    mbedtls_mpi_init(&s);
    rc = mbedtls_mpi_lset(&s, serial);
    if (rc == 0)
        rc = mbedtls_x509write_crt_set_serial(crt, &s);
    mbedtls_mpi_free(&s);
    return rc;
#endif
}

static int make(test_cert_t *out, const test_cert_t *issuer, const char *cn,
                int is_ca, const char *nb, const char *na)
{
    static unsigned char serial = 1;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key, issuer_key;
    mbedtls_x509write_cert crt;
    char subject[128], issuer_name[128];
    int rc;

    mbedtls_pk_init(&key);
    mbedtls_pk_init(&issuer_key);
    mbedtls_x509write_crt_init(&crt);
    mbedtls_ctr_drbg_init(&drbg);
    rc = rng_setup(&drbg);
    if (rc != 0)
        goto done;
    rc = gen_key(&key, &drbg);
    if (rc != 0)
        goto done;
    snprintf(subject, sizeof subject, "CN=%s,O=wecom-media test", cn);
    if (issuer != NULL) {
        mbedtls_x509_crt parsed;
        mbedtls_x509_crt_init(&parsed);
        rc = mbedtls_x509_crt_parse(&parsed,
                                    (const unsigned char *)issuer->cert_pem,
                                    strlen(issuer->cert_pem) + 1);
        if (rc == 0)
            rc = mbedtls_x509_dn_gets(issuer_name, sizeof issuer_name,
                                      &parsed.subject) < 0 ? -1 : 0;
        mbedtls_x509_crt_free(&parsed);
        if (rc == 0)
            rc = load_key(&issuer_key, issuer->key_pem, &drbg);
        if (rc != 0)
            goto done;
    } else {
        memcpy(issuer_name, subject, sizeof subject);
    }
    mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, issuer ? &issuer_key : &key);
    if ((rc = mbedtls_x509write_crt_set_subject_name(&crt, subject)) != 0 ||
        (rc = mbedtls_x509write_crt_set_issuer_name(&crt, issuer_name)) != 0 ||
        (rc = set_serial(&crt, serial++)) != 0 ||
        (rc = mbedtls_x509write_crt_set_validity(&crt, nb, na)) != 0 ||
        (rc = mbedtls_x509write_crt_set_basic_constraints(&crt, is_ca, -1)) != 0)
        goto done;
    rc = mbedtls_x509write_crt_pem(&crt, (unsigned char *)out->cert_pem,
                                   sizeof out->cert_pem,
                                   mbedtls_ctr_drbg_random, &drbg);
    if (rc == 0)
        rc = mbedtls_pk_write_key_pem(&key, (unsigned char *)out->key_pem,
                                      sizeof out->key_pem);
done:
    mbedtls_x509write_crt_free(&crt);
    mbedtls_pk_free(&key);
    mbedtls_pk_free(&issuer_key);
    mbedtls_ctr_drbg_free(&drbg);
    return rc;
}

int certs_make_ca(test_cert_t *ca, const char *cn)
{
    return make(ca, NULL, cn, 1, "20200101000000", "20491231235959");
}

int certs_make_intermediate(test_cert_t *out, const test_cert_t *ca,
                            const char *cn)
{
    return make(out, ca, cn, 1, "20200101000000", "20491231235959");
}

int certs_make_server(test_cert_t *out, const test_cert_t *ca, const char *cn,
                      const char *not_before, const char *not_after)
{
    return make(out, ca, cn, 0, not_before, not_after);
}
