/* SPDX-License-Identifier: MIT */
/*
 * wecom_mbedtls_config.h: mbedTLS tuned for wecom-media on a device.
 *
 * An overlay on mbedTLS's own default configuration, read through
 * MBEDTLS_USER_CONFIG_FILE (mbedTLS 2.28: at the end of
 * include/mbedtls/config.h; 3.x: by build_info.h after mbedtls_config.h),
 * so that it only says what differs and stays valid across releases.
 * Copy it into your mbedTLS recipe next to the default config header and
 * name it there, so that the installed headers carry it too (every program
 * built against this mbedTLS must see the same options, or structures
 * differ in size):
 *
 *   sed -i '1i #define MBEDTLS_USER_CONFIG_FILE "wecom_mbedtls_config.h"' \
 *       include/mbedtls/config.h          (mbedtls_config.h in 3.x)
 *   cp wecom_mbedtls_config.h include/mbedtls/
 *   cat wecom_mbedtls_gmtime.c >> library/platform_util.c
 *
 * docs/firmware.md shows it in Buildroot and Yocto; `make test-arena`
 * builds Debian's mbedTLS 2.28 source this way and runs the whole test
 * suite against it. What it gives (x86-64, measured by test/arena/):
 * every mbedTLS allocation from one static arena handed over at start,
 * so the process needs no heap for TLS; 12 KiB less for the outgoing
 * record; and only what WeCom's servers negotiate.
 *
 * Define WECOM_MBEDTLS_WITH_TEST_SERVER (the test build does) to keep the
 * server side and certificate writing that the project's tests use to
 * play the server; a device never needs them.
 */
#ifndef WECOM_MBEDTLS_CONFIG_H
#define WECOM_MBEDTLS_CONFIG_H

/* ------------------------------------------------------------ memory */

/* mbedtls_calloc/free become pointers that memory_buffer_alloc_init()
 * points at a caller's static arena: the application hands it over once,
 * before any TLS object exists (wecom_posix_mbedtls_arena(), or
 * mbedtls_memory_buffer_alloc_init(buf, len) directly). The allocator is
 * process-wide and not thread-safe without MBEDTLS_THREADING_C: one
 * thread doing TLS, or all of them under one lock. */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
/* Blocks aligned for any scalar type on 64-bit targets (the default of 4
 * would give misaligned uint64_t on some). */
#undef MBEDTLS_MEMORY_ALIGN_MULTIPLE
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8

/* glibc's gmtime_r(), which mbedTLS calls to check a certificate's
 * validity, reads the time-zone database on first use (/etc/localtime:
 * fopen and about ten mallocs) though UTC needs none of it: mbedTLS takes
 * mbedtls_platform_gmtime_r() from wecom_mbedtls_gmtime.c instead, which
 * the recipe appends to library/platform_util.c (a link error otherwise). */
#define MBEDTLS_PLATFORM_GMTIME_R_ALT

/* Records: the client writes at most 4 KiB per record (mbedtls_ssl_write
 * returns a partial count and the library writes the rest), which saves
 * 12 KiB of the two 16 KiB record buffers. The incoming buffer must stay
 * at the protocol's 16 KiB: a server may send full-size records unless
 * max_fragment_length is negotiated, and WeCom's servers do not honour it. */
#undef MBEDTLS_SSL_IN_CONTENT_LEN
#define MBEDTLS_SSL_IN_CONTENT_LEN 16384
#undef MBEDTLS_SSL_OUT_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

/* The peer's certificate chain is freed after the handshake (only its
 * digest is kept for resumption): several KiB less for the whole life of
 * a connection. The library never asks for the peer certificate. (TLS 1.3
 * in mbedTLS 3.x needs it kept.) */
#if !defined(MBEDTLS_SSL_PROTO_TLS1_3)
#undef MBEDTLS_SSL_KEEP_PEER_CERTIFICATE
#endif

/* Elliptic curves: a window of 4 instead of 6 and no cached fixed-point
 * table; each costs a few KiB of heap during the handshake and its CPU
 * cost is small next to the RSA verification of the chain. */
#undef MBEDTLS_ECP_WINDOW_SIZE
#define MBEDTLS_ECP_WINDOW_SIZE 4
#undef MBEDTLS_ECP_FIXED_POINT_OPTIM
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0

/* ---------------------------------------------------- protocol, suites */

/* TLS 1.2 (and 1.3 in mbedTLS 3.x); nothing older, no DTLS. */
#undef MBEDTLS_SSL_PROTO_SSL3
#undef MBEDTLS_SSL_PROTO_TLS1
#undef MBEDTLS_SSL_PROTO_TLS1_1
#undef MBEDTLS_SSL_PROTO_DTLS
#undef MBEDTLS_SSL_DTLS_ANTI_REPLAY
#undef MBEDTLS_SSL_DTLS_HELLO_VERIFY
#undef MBEDTLS_SSL_DTLS_CLIENT_PORT_REUSE
#undef MBEDTLS_SSL_DTLS_BADMAC_LIMIT
#undef MBEDTLS_SSL_DTLS_CONNECTION_ID
#undef MBEDTLS_SSL_COOKIE_C
#undef MBEDTLS_SSL_CBC_RECORD_SPLITTING
#undef MBEDTLS_SSL_ENCRYPT_THEN_MAC
#undef MBEDTLS_SSL_TRUNCATED_HMAC
#undef MBEDTLS_SSL_FALLBACK_SCSV
/* A client that never renegotiates refuses a server that asks. */
#undef MBEDTLS_SSL_RENEGOTIATION
#undef MBEDTLS_SSL_EXPORT_KEYS
#undef MBEDTLS_SSL_CONTEXT_SERIALIZATION
#undef MBEDTLS_SSL_ALPN
/* Kept: SNI (WeCom's front ends need it), session tickets and IDs (a
 * reconnect resumes instead of a full handshake), extended master secret
 * (makes resumption safe), max_fragment_length (the extension, should a
 * device set it). */
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_SESSION_TICKETS
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET

/* Forward-secret key exchange only: ECDHE with an RSA or ECDSA server
 * certificate, what qyapi.weixin.qq.com offers (RSA-2048 chains today) and
 * what the test emulator and the nginx bench use (ECDSA P-256). */
#undef MBEDTLS_KEY_EXCHANGE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDHE_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_PSK_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_DHE_RSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_ECDSA_ENABLED
#undef MBEDTLS_KEY_EXCHANGE_ECDH_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED

/* AEAD suites only, AES-GCM first (AES instructions on most cores) then
 * ChaCha20-Poly1305 (faster without them). The names are expanded where
 * mbedTLS uses the list, so 3.x's TLS 1.3 names are added only there. */
#undef MBEDTLS_SSL_CIPHERSUITES
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define WECOM_MBEDTLS_TLS13_SUITES                                    \
    MBEDTLS_TLS1_3_AES_128_GCM_SHA256, MBEDTLS_TLS1_3_AES_256_GCM_SHA384, \
        MBEDTLS_TLS1_3_CHACHA20_POLY1305_SHA256,
#else
#define WECOM_MBEDTLS_TLS13_SUITES
#endif
#define MBEDTLS_SSL_CIPHERSUITES                                   \
    WECOM_MBEDTLS_TLS13_SUITES                                     \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,               \
        MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,             \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,           \
        MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,             \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,     \
        MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256

/* Curves: x25519 and P-256 for the key exchange, P-384 for ECDSA
 * certificates signed with it (some public CAs). */
#undef MBEDTLS_ECP_DP_SECP192R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP521R1_ENABLED
#undef MBEDTLS_ECP_DP_SECP192K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP224K1_ENABLED
#undef MBEDTLS_ECP_DP_SECP256K1_ENABLED
#undef MBEDTLS_ECP_DP_BP256R1_ENABLED
#undef MBEDTLS_ECP_DP_BP384R1_ENABLED
#undef MBEDTLS_ECP_DP_BP512R1_ENABLED
#undef MBEDTLS_ECP_DP_CURVE448_ENABLED
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED

/* ------------------------------------------------- crypto primitives */

/* Ciphers: AES (GCM, and the DRBG's block cipher) and ChaCha20-Poly1305. */
#undef MBEDTLS_ARC4_C
#undef MBEDTLS_BLOWFISH_C
#undef MBEDTLS_CAMELLIA_C
#undef MBEDTLS_ARIA_C
#undef MBEDTLS_CCM_C
#undef MBEDTLS_DES_C
#undef MBEDTLS_XTEA_C
#undef MBEDTLS_CMAC_C
#undef MBEDTLS_NIST_KW_C
#undef MBEDTLS_PADLOCK_C
#undef MBEDTLS_CIPHER_MODE_CBC
#undef MBEDTLS_CIPHER_MODE_CFB
#undef MBEDTLS_CIPHER_MODE_CTR
#undef MBEDTLS_CIPHER_MODE_OFB
#undef MBEDTLS_CIPHER_MODE_XTS
#undef MBEDTLS_CIPHER_PADDING_PKCS7
#undef MBEDTLS_CIPHER_PADDING_ONE_AND_ZEROS
#undef MBEDTLS_CIPHER_PADDING_ZEROS_AND_LEN
#undef MBEDTLS_CIPHER_PADDING_ZEROS
#define MBEDTLS_AES_C
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C

/* Hashes: SHA-256 and SHA-384/512 (suites, certificate signatures).
 * SHA-1 and MD5 stay out: mbedTLS's default X.509 profile refuses
 * SHA-1 signatures anyway, and TLS 1.2 does not need them. */
#undef MBEDTLS_MD5_C
#undef MBEDTLS_RIPEMD160_C
#undef MBEDTLS_SHA1_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C

/* Public keys: RSA (PKCS#1 v1.5 and PSS signatures, 2048 bits and up, as
 * public CAs use) and ECDSA; ECDH for the key exchange. No key
 * generation, no finite-field DH. */
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDH_C
#undef MBEDTLS_DHM_C
#undef MBEDTLS_GENPRIME
#undef MBEDTLS_PK_RSA_ALT_SUPPORT
#undef MBEDTLS_PKCS5_C
#undef MBEDTLS_PKCS12_C

/* X.509: parse and verify certificates (PEM or DER, from a file or a
 * directory: MBEDTLS_FS_IO), with key usage and extended key usage
 * checked. No CRLs or CSRs: the library never reads them. */
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CHECK_KEY_USAGE
#define MBEDTLS_X509_CHECK_EXTENDED_KEY_USAGE
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_FS_IO
#undef MBEDTLS_X509_CRL_PARSE_C
#undef MBEDTLS_X509_CSR_PARSE_C
#undef MBEDTLS_X509_CSR_WRITE_C
#undef MBEDTLS_PKCS7_C

/* What the library does not use: its own sockets and timers (the port
 * has them), mbedTLS's entropy pool (the port's entropy seeds the DRBG
 * directly), debug output, error strings, self tests, sample
 * certificates. */
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_DEBUG_C
#undef MBEDTLS_ERROR_C
#undef MBEDTLS_SELF_TEST
#undef MBEDTLS_CERTS_C
#undef MBEDTLS_VERSION_FEATURES
#undef MBEDTLS_HAVEGE_C

/* PSA Crypto: TLS 1.3 in mbedTLS 3.x is built on it (with the entropy
 * pool it seeds from); 2.28's TLS 1.2 does not use it. Keys are never
 * stored, so no key storage either way. */
#if !defined(MBEDTLS_SSL_PROTO_TLS1_3)
#undef MBEDTLS_PSA_CRYPTO_C
#undef MBEDTLS_USE_PSA_CRYPTO
#undef MBEDTLS_ENTROPY_C
#undef MBEDTLS_HMAC_DRBG_C
#undef MBEDTLS_ECDSA_DETERMINISTIC
#undef MBEDTLS_HKDF_C
#endif
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#undef MBEDTLS_PSA_ITS_FILE_C

/* --------------------------------------------- the test server, if asked */
#if defined(WECOM_MBEDTLS_WITH_TEST_SERVER)
/* The tests make certificates at run time and answer as a TLS server
 * (test/support/): server side, session cache and tickets, writing. */
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CACHE_C
#define MBEDTLS_SSL_TICKET_C
#define MBEDTLS_X509_CREATE_C
#define MBEDTLS_X509_CRT_WRITE_C
#define MBEDTLS_PK_WRITE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_ASN1_WRITE_C
#else
#undef MBEDTLS_SSL_SRV_C
#undef MBEDTLS_SSL_CACHE_C
#undef MBEDTLS_SSL_TICKET_C
#undef MBEDTLS_X509_CREATE_C
#undef MBEDTLS_X509_CRT_WRITE_C
#undef MBEDTLS_PK_WRITE_C
#undef MBEDTLS_PEM_WRITE_C
#endif

#endif /* WECOM_MBEDTLS_CONFIG_H */
