/* SPDX-License-Identifier: MIT */
/* Shared between the HTTP engine's files; not part of the public API. */
#ifndef WECOM_HTTP_INTERNAL_H
#define WECOM_HTTP_INTERNAL_H

#include "http.h"

wecom_err_t wecom__http_write_request(wecom_http_t *h,
                                      const wecom_http_request_t *req);

/* got_bytes tells the caller whether any byte of a response came, which
 * decides if the request may be sent again on a new connection. */
wecom_err_t wecom__http_read_response(wecom_http_t *h,
                                      wecom_http_response_t *resp,
                                      const wecom_http_sink_t *sink,
                                      int *got_bytes);

#endif
