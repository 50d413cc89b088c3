/* JSON answers: parsing and every field reader on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = { "errcode", "errmsg", "media_id", "type",
                                        "created_at", "access_token", "expires_in" };
    wecom_json_t j;
    char out[64];
    int64_t v;
    size_t i;
    if (wecom__json_parse(&j, (const char *)data, size) != WECOM_OK)
        return 0;
    for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (wecom__json_string(&j, keys[i], out, sizeof out) == WECOM_OK &&
            strlen(out) >= sizeof out)
            abort();
        (void)wecom__json_int(&j, keys[i], &v);
        if (wecom__json_digits(&j, keys[i], out, sizeof out) == WECOM_OK &&
            strspn(out, "0123456789") != strlen(out))
            abort();
    }
    return 0;
}
