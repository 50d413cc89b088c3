/* SPDX-License-Identifier: MIT */
/* Server-supplied names and ranges: whatever Content-Disposition says, the
 * name never has a path, a control byte, a leading dot or the value "."
 * or ".."; a Content-Range taken is consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filename.h"
#include "range.h"
#include "wecom/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *n)
{
    size_t i, len = strlen(n);
    if (len > WECOM_FILENAME_MAX || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
        abort();
    for (i = 0; i < len; i++)
        if (n[i] == '/' || (unsigned char)n[i] < 0x20 || n[i] == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char value[4096];
    char name[WECOM_FILENAME_MAX + 1];
    wecom_content_range_t cr;
    if (size >= sizeof value)
        size = sizeof value - 1;
    memcpy(value, data, size);
    value[size] = '\0';

    wecom__filename_from_disposition(value, name, sizeof name);
    check_name(name);
    if (name[0] == '.' || strchr(name, '\\') != NULL)
        abort();
    wecom__filename_clean(value, name, sizeof name);
    check_name(name);

    if (wecom__content_range_parse(value, &cr) == WECOM_OK) {
        if (cr.unsatisfied ? cr.total == WECOM_RANGE_UNKNOWN
                           : (cr.last < cr.first ||
                              (cr.total != WECOM_RANGE_UNKNOWN && cr.last >= cr.total)))
            abort();
    }
    return 0;
}
