/*
 * synshadow_https.h — one HTTPS POST through the system's libcurl, loaded at
 * run time (dlopen "libcurl.so.4"): the binary links nothing but the C
 * library, and https export works wherever Debian's libcurl4 is installed.
 */
#ifndef SYNSHADOW_HTTPS_H
#define SYNSHADOW_HTTPS_H

#include <stddef.h>

/*
 * POSTs `body` to `url` with the given "Name: value" headers, waiting at most
 * `timeout_ms`. Returns the HTTP status (100..599) or 0 when no answer came,
 * with why in `error` (NUL-terminated, at most `error_size` bytes). CA file:
 * libcurl's default, or `ca_file` when not NULL.
 */
int ss_https_post(const char *url, const void *body, size_t body_size, const char *const *headers,
		  size_t header_count, long timeout_ms, const char *ca_file, char *error, size_t error_size);

#endif
