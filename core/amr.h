/* SPDX-License-Identifier: MIT */
/* AMR (narrowband) storage-format walking, RFC 4867 section 5. */
#ifndef WECOM_AMR_H
#define WECOM_AMR_H

#include <stddef.h>
#include <stdint.h>

#include "wecom/port.h"

#define WECOM_AMR_MAGIC "#!AMR\n"
#define WECOM_AMR_MAGIC_LEN 6
#define WECOM_AMR_WB_MAGIC "#!AMR-WB\n"
#define WECOM_AMR_WB_MAGIC_LEN 9

/* Walk the frame headers of an AMR file of size bytes and return its
 * duration in ms (every frame, NO_DATA and SID included, is 20 ms).
 * WECOM_ERR_MEDIA_AMR_CORRUPT for a reserved frame type or a frame cut
 * off at the end. */
wecom_err_t wecom__amr_duration(const wecom_reader_t *r, uint64_t size,
                               unsigned char *scratch, size_t scratch_len,
                               uint64_t *duration_ms);

#endif
