/*
 * HTTPS POST through libcurl opened with dlopen (see synshadow_https.h). The
 * few entry points are looked up once; the option numbers are libcurl's
 * stable ABI (curl/curl.h: CURLOPTTYPE_* base + index), written out here so
 * building needs no libcurl headers.
 */
#include "synshadow_https.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum {
	SS_CURLOPT_NOSIGNAL = 99,
	SS_CURLOPT_TIMEOUT_MS = 155,
	SS_CURLOPT_URL = 10002,
	SS_CURLOPT_POSTFIELDS = 10015,
	SS_CURLOPT_USERAGENT = 10018,
	SS_CURLOPT_HTTPHEADER = 10023,
	SS_CURLOPT_CAINFO = 10065,
	SS_CURLOPT_ERRORBUFFER = 10010,
	SS_CURLOPT_WRITEFUNCTION = 20011,
	SS_CURLOPT_POSTFIELDSIZE_LARGE = 30120,
	SS_CURLINFO_RESPONSE_CODE = 0x200002,
	SS_CURL_ERROR_SIZE = 256,
};

struct ss_curl {
	void *(*easy_init)(void);
	int (*easy_setopt)(void *, int, ...);
	int (*easy_perform)(void *);
	int (*easy_getinfo)(void *, int, ...);
	void (*easy_cleanup)(void *);
	const char *(*easy_strerror)(int);
	void *(*slist_append)(void *, const char *);
	void (*slist_free_all)(void *);
	const char *missing;
};

static struct ss_curl curl;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void load_curl(void)
{
	void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!library) {
		curl.missing = "https needs libcurl (Debian: apt install libcurl4); use http:// or install it";
		return;
	}
#define SS_LOOKUP(field, name)                                                                                         \
	do {                                                                                                           \
		*(void **)&curl.field = dlsym(library, name);                                                          \
		if (!curl.field) {                                                                                     \
			curl.missing = "libcurl.so.4 lacks " name;                                                     \
			return;                                                                                        \
		}                                                                                                      \
	} while (0)
	SS_LOOKUP(easy_init, "curl_easy_init");
	SS_LOOKUP(easy_setopt, "curl_easy_setopt");
	SS_LOOKUP(easy_perform, "curl_easy_perform");
	SS_LOOKUP(easy_getinfo, "curl_easy_getinfo");
	SS_LOOKUP(easy_cleanup, "curl_easy_cleanup");
	SS_LOOKUP(easy_strerror, "curl_easy_strerror");
	SS_LOOKUP(slist_append, "curl_slist_append");
	SS_LOOKUP(slist_free_all, "curl_slist_free_all");
#undef SS_LOOKUP
}

/* The collector's answer body is not needed: taken and dropped. */
static size_t discard(char *data, size_t size, size_t count, void *context)
{
	(void)data;
	(void)context;
	return size * count;
}

int ss_https_post(const char *url, const void *body, size_t body_size, const char *const *headers,
		  size_t header_count, long timeout_ms, const char *ca_file, char *error, size_t error_size)
{
	pthread_once(&curl_once, load_curl);
	if (curl.missing) {
		snprintf(error, error_size, "%s", curl.missing);
		return 0;
	}
	void *handle = curl.easy_init();
	if (!handle) {
		snprintf(error, error_size, "libcurl could not start a transfer");
		return 0;
	}
	void *list = NULL;
	for (size_t i = 0; i < header_count; i++) {
		void *longer = curl.slist_append(list, headers[i]);
		if (!longer) {
			snprintf(error, error_size, "out of memory for the request headers");
			curl.slist_free_all(list);
			curl.easy_cleanup(handle);
			return 0;
		}
		list = longer;
	}
	char reason[SS_CURL_ERROR_SIZE] = "";
	curl.easy_setopt(handle, SS_CURLOPT_URL, url);
	curl.easy_setopt(handle, SS_CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(handle, SS_CURLOPT_TIMEOUT_MS, timeout_ms);
	curl.easy_setopt(handle, SS_CURLOPT_POSTFIELDS, body);
	curl.easy_setopt(handle, SS_CURLOPT_POSTFIELDSIZE_LARGE, (long long)body_size);
	curl.easy_setopt(handle, SS_CURLOPT_HTTPHEADER, list);
	curl.easy_setopt(handle, SS_CURLOPT_USERAGENT, "synshadow");
	curl.easy_setopt(handle, SS_CURLOPT_WRITEFUNCTION, discard);
	curl.easy_setopt(handle, SS_CURLOPT_ERRORBUFFER, reason);
	if (ca_file)
		curl.easy_setopt(handle, SS_CURLOPT_CAINFO, ca_file);
	int code = curl.easy_perform(handle);
	long status = 0;
	if (code == 0)
		curl.easy_getinfo(handle, SS_CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(error, error_size, "%s (libcurl %d%s%s)", reason[0] ? reason : curl.easy_strerror(code), code,
			 reason[0] ? ": " : "", reason[0] ? curl.easy_strerror(code) : "");
	curl.slist_free_all(list);
	curl.easy_cleanup(handle);
	return code == 0 ? (int)status : 0;
}
