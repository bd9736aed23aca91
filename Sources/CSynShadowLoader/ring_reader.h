/*
 * ring_reader.h — the loader's own BPF ring-buffer reader (internal).
 * See ring_reader.c for why libbpf's reader is not enough.
 */
#ifndef SYNSHADOW_RING_READER_H
#define SYNSHADOW_RING_READER_H

#include <stddef.h>
#include <stdint.h>
#include "synshadow_loader.h"

struct ss_ring_reader {
	void *consumer_page;		/* consumer position, written by us */
	const void *producer_page;	/* producer position, then the data twice */
	const uint8_t *data;
	size_t page_size;
	size_t data_size;		/* a power of two */
	int epoll_fd;
};

int ss_ring_reader_open(struct ss_ring_reader *reader, int map_fd);
void ss_ring_reader_close(struct ss_ring_reader *reader);

/* Sleeps up to timeout_ms, less when the BPF side forces a wake-up. */
int ss_ring_reader_wait(struct ss_ring_reader *reader, int timeout_ms);

/* Consumes every record committed before the producer position read at the
 * start, hands each to on_record, and says whether it caught up. */
int ss_ring_reader_drain(struct ss_ring_reader *reader, ss_record_fn on_record, void *context,
			 struct ss_drain_result *result);

#endif /* SYNSHADOW_RING_READER_H */
