/* SPDX-License-Identifier: MIT */
/* What the outbox's files share (item header, journal lines). Not public. */
#ifndef WECOM_OUTBOX_INTERNAL_H
#define WECOM_OUTBOX_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/outbox.h"

#if WECOM_OUTBOX

/* Media ids live three days from created_at (WeCom's documentation). */
#define WECOM__MEDIA_TTL_S ((int64_t)3 * 86400)

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes. */
uint32_t wecom__crc32(const void *p, size_t n);

/* Write r as one journal line: the JSON object, " crc=XXXXXXXX" (CRC-32
 * of the object's bytes, lower-case hex) and '\n'. *len gets its length.
 * A name or errmsg too long for cap is cut (on a UTF-8 boundary) rather
 * than lose the line; WECOM_ERR_BUFFER_TOO_SMALL if even that fails. */
wecom_err_t wecom__journal_format(const wecom_outbox_result_t *r, char *buf,
                                  size_t cap, size_t *len);

/* Parse one line (without its '\n'). WECOM_ERR_OUTBOX_CORRUPT when the
 * CRC, the JSON or a field is wrong. */
wecom_err_t wecom__journal_parse(const char *line, size_t len,
                                 wecom_outbox_result_t *r);

/* Called per complete line of the journal (without '\n'); len is
 * (size_t)-1 for a line longer than the line buffer (corrupt). A
 * non-zero return stops the scan and is returned. */
typedef int (*wecom__line_fn)(void *arg, const char *line, size_t len);

/* Stream the journal open as h through buf, gathering lines in line
 * (cap bytes). *complete (may be NULL) gets the offset just after the
 * last '\n': bytes past it are a torn line, never reported. */
int wecom__journal_scan(const wecom_fs_t *fs, int h, unsigned char *buf,
                        size_t buflen, char *line, size_t cap,
                        wecom__line_fn fn, void *arg, uint64_t *complete);

/* ---------------------------------------------------------- items */

/* An item file: this fixed part (little-endian), the display name, then
 * the medium's bytes.
 *   0  "WMQ1"   4  version (1)   5  kind   6  name length (u16)
 *   8  medium's bytes (u64)      16 enqueued, wall ms (u64)   24 name */
#define WECOM__ITEM_MAGIC "WMQ1"
#define WECOM__ITEM_VERSION 1
#define WECOM__ITEM_FIXED 24
#define WECOM__ITEM_HEADER_MAX (WECOM__ITEM_FIXED + WECOM_FILENAME_MAX)

#if WECOM_OUTBOX_BUF_SIZE < WECOM__ITEM_HEADER_MAX || WECOM_OUTBOX_BUF_SIZE < 64
#error "WECOM_OUTBOX_BUF_SIZE must hold an item header (WECOM_FILENAME_MAX + 24)"
#endif

typedef struct wecom__item {
    wecom_kind_t kind;
    uint64_t data_len;
    uint64_t enqueued_ms;
    uint32_t header_len;
    char name[WECOM_FILENAME_MAX + 1];
} wecom__item_t;

/* The header of it into out (WECOM__ITEM_HEADER_MAX bytes); its length. */
size_t wecom__item_encode(const wecom__item_t *it, unsigned char *out);

/* Read and check the header of the item file open as h (through buf, at
 * least WECOM__ITEM_HEADER_MAX bytes): WECOM_ERR_OUTBOX_CORRUPT when it
 * is not one, or its lengths disagree with the file's size. */
wecom_err_t wecom__item_read(const wecom_fs_t *fs, int h, unsigned char *buf,
                             wecom__item_t *it);

/* A q/ or inflight/ entry's name: 24 lower-case hex digits, optionally
 * ".c" (an earlier attempt may have stored it). 1 when it is one. */
int wecom__item_name(const char *name, int *maybe_dup);

/* Items in a directory: how many, their bytes, and the oldest's name. */
typedef struct wecom__census {
    uint32_t count;
    uint64_t bytes;
    char oldest[WECOM_OUTBOX_ID_LEN + 3];
} wecom__census_t;

wecom_err_t wecom__census(const wecom_fs_t *fs, int dir, wecom__census_t *c);

/* Remove tmp/ files that no writer holds (their writer was killed). */
void wecom__tmp_cleanup(const wecom_fs_t *fs);

/* A reader over an open file from offset base (the medium after the
 * header), for the checks and the upload. */
typedef struct wecom__fs_reader {
    const wecom_fs_t *fs;
    int h;
    uint64_t base;
} wecom__fs_reader_t;

void wecom__fs_reader(wecom_reader_t *r, wecom__fs_reader_t *f,
                      const wecom_fs_t *fs, int h, uint64_t base);

#endif /* WECOM_OUTBOX */

#endif
